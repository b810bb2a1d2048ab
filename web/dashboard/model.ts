// Dashboard page: what the page knows about each symbol and city: the last tick, recent prices for the chart, the
// stream position (a new epoch after a server restart starts the chart again), and whether the row is live.

/** Recent prices kept per symbol for its chart. */
export const CHART_POINTS = 120;

/** One price tick, as the demo feed publishes it. */
export interface Tick {
  readonly symbol: string;
  readonly price: number;
  readonly change: number;
  readonly changePct: number;
  readonly volume: number;
  readonly time: number;
}

/** One weather report, as the demo feed publishes it. */
export interface Weather {
  readonly city: string;
  readonly temperatureC: number;
  readonly humidity: number;
  readonly windKph: number;
  readonly condition: string;
  readonly time: number;
}

/** What the page uses of a publication (live, recovered, or from history). */
export interface Delivery {
  readonly epoch: string;
  readonly offset: number;
  readonly time: number;
  readonly data: unknown;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The data as a tick, or null when it is not one (a feed of someone else's shape is ignored, not shown wrong). */
export function asTick(data: unknown): Tick | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (typeof d['symbol'] !== 'string' || !isNumber(d['price'])) return null;
  return {
    symbol: d['symbol'],
    price: d['price'],
    change: isNumber(d['change']) ? d['change'] : 0,
    changePct: isNumber(d['changePct']) ? d['changePct'] : 0,
    volume: isNumber(d['volume']) ? d['volume'] : 0,
    time: isNumber(d['time']) ? d['time'] : Date.now(),
  };
}

/** The data as a weather report, or null. */
export function asWeather(data: unknown): Weather | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (typeof d['city'] !== 'string' || !isNumber(d['temperatureC'])) return null;
  return {
    city: d['city'],
    temperatureC: d['temperatureC'],
    humidity: isNumber(d['humidity']) ? d['humidity'] : 0,
    windKph: isNumber(d['windKph']) ? d['windKph'] : 0,
    condition: typeof d['condition'] === 'string' ? d['condition'] : '',
    time: isNumber(d['time']) ? d['time'] : Date.now(),
  };
}

/** One symbol's row. */
export class SymbolState {
  readonly symbol: string;
  readonly channel: string;
  /** The latest tick (highest offset of the current epoch). */
  last: Tick | null = null;
  epoch: string | null = null;
  offset = 0;
  /** Chart points of the current epoch, in offset order. */
  readonly points: { offset: number; time: number; price: number }[] = [];
  /** Whether the user wants this row live (subscribed). */
  live = true;
  /**
   * How the row was first filled: by the publication the subscribe answer carried (`snapshot`: the channel's stored
   * latest, shown at once) or by a later live tick.
   */
  filled: 'snapshot' | 'live' | null = null;

  constructor(symbol: string, channel: string) {
    this.symbol = symbol;
    this.channel = channel;
  }

  /**
   * Takes a publication (live or from history, in any order).
   * @param p The publication.
   * @returns true when the row's shown values changed.
   */
  apply(p: Delivery): boolean {
    const tick = asTick(p.data);
    if (tick === null) return false;
    if (p.epoch !== this.epoch) {
      // A new stream (the server restarted with an empty history): the old prices are from another run.
      this.epoch = p.epoch;
      this.offset = 0;
      this.points.length = 0;
    }
    if (!this.points.some((pt) => pt.offset === p.offset)) {
      const at = this.points.findIndex((pt) => pt.offset > p.offset);
      const point = { offset: p.offset, time: tick.time, price: tick.price };
      if (at === -1) this.points.push(point);
      else this.points.splice(at, 0, point);
      if (this.points.length > CHART_POINTS) this.points.splice(0, this.points.length - CHART_POINTS);
    }
    if (p.offset <= this.offset) return false;
    this.offset = p.offset;
    this.last = tick;
    return true;
  }
}
