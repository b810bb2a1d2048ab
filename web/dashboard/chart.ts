// Dashboard page: the small line chart of a symbol's recent prices (uPlot: canvas, no axes, no legend, no cursor),
// coloured like the row's change (green at or above the session's open, red below), narrower on a narrow screen.
import uPlot from 'uplot';

/** Chart size in CSS pixels: fits a table row; a narrow screen gets a narrower one. */
const WIDTH_PX = 160;
const NARROW_WIDTH_PX = 64;
/** Where the page switches to its narrow layout (the same width as in style.css). */
const NARROW = '(max-width: 640px)';
const HEIGHT_PX = 36;
const UP = '#15803d';
const DOWN = '#b91c1c';

/** A sparkline in `host`; `set` redraws it with new points. */
export class PriceChart {
  readonly #plot: uPlot;
  #rising = true;

  /** @param host The element the chart goes into (a table cell). */
  constructor(host: HTMLElement) {
    const narrow = globalThis.matchMedia?.(NARROW);
    const width = (): number => (narrow?.matches === true ? NARROW_WIDTH_PX : WIDTH_PX);
    narrow?.addEventListener('change', () => this.#plot.setSize({ width: width(), height: HEIGHT_PX }));
    this.#plot = new uPlot(
      {
        width: width(),
        height: HEIGHT_PX,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false } },
        padding: [2, 2, 2, 2],
        series: [
          {},
          {
            stroke: () => (this.#rising ? UP : DOWN),
            width: 1.5,
            points: { show: (u) => u.data[0].length === 1, size: 4 },
          },
        ],
      },
      [[], []],
      host,
    );
  }

  /**
   * Shows these points (in order).
   * @param points Recent prices, oldest first.
   * @param rising Whether the price is at or above the session's open (the line is green, else red).
   */
  set(points: readonly { readonly offset: number; readonly price: number }[], rising: boolean): void {
    this.#rising = rising;
    this.#plot.setData([points.map((p) => p.offset), points.map((p) => p.price)]);
  }

  /** Removes the chart. */
  destroy(): void {
    this.#plot.destroy();
  }
}
