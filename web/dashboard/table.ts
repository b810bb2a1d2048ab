// Dashboard page: the prices table: one row per symbol (a live/paused toggle first, so it stays in reach on a narrow
// screen, then last price, change and percent coloured by direction, volume, a chart of recent prices). Rows are redrawn at most once per animation frame.
import { PriceChart } from './chart.ts';
import { direction, formatChange, formatPrice, formatVolume } from './format.ts';
import type { SymbolState } from './model.ts';

interface Row {
  readonly state: SymbolState;
  readonly tr: HTMLTableRowElement;
  readonly price: HTMLTableCellElement;
  readonly change: HTMLTableCellElement;
  readonly pct: HTMLTableCellElement;
  readonly volume: HTMLTableCellElement;
  readonly toggle: HTMLButtonElement;
  readonly chart: PriceChart;
}

function cell(tr: HTMLTableRowElement, className: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = className;
  tr.append(td);
  return td;
}

/** The table body and its rows. */
export class PriceTable {
  readonly #rows = new Map<string, Row>();
  readonly #dirty = new Set<Row>();
  #frame = 0;

  /**
   * Builds one row per symbol, in order, with an empty (`…`) price until the first tick.
   * @param body The table's `tbody`.
   * @param states The symbols.
   * @param onToggle Called when the user pauses (`live` false) or resumes a row.
   */
  constructor(
    body: HTMLElement,
    states: readonly SymbolState[],
    onToggle: (state: SymbolState, live: boolean) => void,
  ) {
    for (const state of states) {
      const tr = document.createElement('tr');
      tr.dataset['symbol'] = state.symbol;
      const toggleCell = cell(tr, 'toggle');
      const toggle = document.createElement('button');
      toggle.type = 'button';
      toggleCell.append(toggle);
      const th = document.createElement('th');
      th.scope = 'row';
      th.className = 'symbol';
      // The name in a block of bounded width: table cells ignore max-width, a block inside them does not.
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = state.symbol;
      th.title = state.symbol;
      th.append(name);
      tr.append(th);
      const price = cell(tr, 'num price');
      const change = cell(tr, 'num change');
      const pct = cell(tr, 'num pct');
      const volume = cell(tr, 'num volume');
      const chartCell = cell(tr, 'chart');
      for (const td of [price, change, pct, volume]) td.textContent = '…';
      const row: Row = { state, tr, price, change, pct, volume, toggle, chart: new PriceChart(chartCell) };
      toggle.addEventListener('click', () => onToggle(state, !state.live));
      this.#rows.set(state.symbol, row);
      body.append(tr);
      this.#renderToggle(row);
    }
  }

  /** Marks a symbol's row for redrawing on the next frame. */
  changed(symbol: string): void {
    const row = this.#rows.get(symbol);
    if (row === undefined) return;
    this.#dirty.add(row);
    if (this.#frame === 0) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  /** Redraws a row's toggle (live or paused) at once. */
  toggled(symbol: string): void {
    const row = this.#rows.get(symbol);
    if (row !== undefined) this.#renderToggle(row);
  }

  #renderToggle(row: Row): void {
    const live = row.state.live;
    row.tr.dataset['live'] = String(live);
    row.toggle.textContent = live ? 'Live' : 'Paused';
    row.toggle.setAttribute('aria-pressed', String(live));
    row.toggle.setAttribute(
      'aria-label',
      `${row.state.symbol}: ${live ? 'live, press to pause' : 'paused, press to resume'}`,
    );
  }

  #flush(): void {
    this.#frame = 0;
    for (const row of this.#dirty) this.#render(row);
    this.#dirty.clear();
  }

  #render(row: Row): void {
    const { state } = row;
    const tick = state.last;
    row.chart.set(state.points, (tick?.change ?? 0) >= 0);
    if (tick === null) return;
    const moved = row.price.textContent !== formatPrice(tick.price);
    row.price.textContent = formatPrice(tick.price);
    row.change.textContent = formatChange(tick.change);
    row.pct.textContent = formatChange(tick.changePct, ' %');
    row.volume.textContent = formatVolume(tick.volume);
    row.tr.dataset['direction'] = direction(tick.change);
    row.tr.dataset['epoch'] = state.epoch ?? '';
    row.tr.dataset['offset'] = String(state.offset);
    row.tr.dataset['points'] = String(state.points.length);
    if (state.filled !== null) row.tr.dataset['filled'] = state.filled;
    if (moved) {
      // Restart the flash: remove, force a style flush, add again.
      row.price.classList.remove('flash');
      void row.price.offsetWidth;
      row.price.classList.add('flash');
    }
  }
}
