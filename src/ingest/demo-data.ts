// Ingest: the built-in demo generators' data: a random walk of simulated prices with volume, and simulated weather.
// Pure state machines over an injected random source, so the demo source (demo.ts) only schedules and delivers.

/** A random number in [0, 1), like `Math.random` (injectable so tests can make the walk repeatable). */
export type RandomSource = () => number;

/** The simulated symbols and their starting prices (made up; the names only look like tickers). */
export const DEMO_SYMBOLS: readonly (readonly [symbol: string, start: number])[] = [
  ['ACME', 182.5],
  ['BOLT', 41.2],
  ['CRUX', 96.75],
  ['DYNA', 12.3],
  ['ECHO', 230.1],
  ['FLUX', 64.45],
  ['GLOW', 8.9],
  ['HALO', 151.0],
  ['IRIS', 27.6],
  ['JADE', 310.25],
  ['KITE', 55.5],
  ['LUMA', 73.8],
  ['MOSS', 19.95],
  ['NOVA', 402.0],
  ['ONYX', 88.15],
  ['PIKE', 33.3],
  ['QUIL', 5.75],
  ['ROVR', 120.4],
  ['SAGE', 47.05],
  ['TIDE', 260.6],
];

/** The simulated cities, with a typical temperature (°C) the walk stays near. */
export const DEMO_CITIES: readonly (readonly [city: string, typicalC: number])[] = [
  ['Lisbon', 18],
  ['Oslo', 4],
  ['Nairobi', 22],
  ['Tokyo', 15],
  ['Montreal', -2],
];

/** Weather conditions the generator picks from. */
export const DEMO_CONDITIONS = ['clear', 'cloudy', 'rain', 'wind', 'fog', 'snow'] as const;

/** One price tick: the payload of a `prices.<SYMBOL>` message. */
export interface PriceTick {
  readonly symbol: string;
  /** Last price, 2 decimals. */
  readonly price: number;
  /** Price minus the session's opening price, 2 decimals. */
  readonly change: number;
  /** `change` in percent of the opening price, 2 decimals. */
  readonly changePct: number;
  /** Shares traded since the session opened (grows every tick). */
  readonly volume: number;
  /** When the tick was made, ms since the epoch. */
  readonly time: number;
}

/** One weather report: the payload of a `weather.<city>` message. */
export interface WeatherReport {
  readonly city: string;
  readonly temperatureC: number;
  /** Relative humidity in percent, 0..100. */
  readonly humidity: number;
  readonly windKph: number;
  readonly condition: (typeof DEMO_CONDITIONS)[number];
  /** When the report was made, ms since the epoch. */
  readonly time: number;
}

/** Standard deviation of one tick's log return: 0.4 %, lively enough to watch and never negative. */
const TICK_VOLATILITY = 0.004;

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** A standard normal sample (Box-Muller). */
function gaussian(random: RandomSource): number {
  const u = 1 - random(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The price walk of all symbols: `next()` gives one tick per symbol. */
export class PriceWalk {
  readonly #random: RandomSource;
  readonly #state = DEMO_SYMBOLS.map(([symbol, start]) => ({ symbol, open: start, price: start, volume: 0 }));

  /** @param random The random source. */
  constructor(random: RandomSource) {
    this.#random = random;
  }

  /**
   * Moves every symbol one step (a geometric random walk) and adds traded volume.
   * @param now The tick's time, ms since the epoch.
   * @returns One tick per symbol, in {@link DEMO_SYMBOLS} order.
   */
  next(now: number): PriceTick[] {
    return this.#state.map((s) => {
      s.price = Math.max(0.01, round2(s.price * Math.exp(TICK_VOLATILITY * gaussian(this.#random))));
      s.volume += 100 * (1 + Math.floor(this.#random() * 50));
      const change = round2(s.price - s.open);
      return {
        symbol: s.symbol,
        price: s.price,
        change,
        changePct: round2((change / s.open) * 100),
        volume: s.volume,
        time: now,
      };
    });
  }
}

/** The weather walk of all cities: `next()` gives one report per city. */
export class WeatherWalk {
  readonly #random: RandomSource;
  readonly #state = DEMO_CITIES.map(([city, typicalC]) => ({ city, typicalC, temperatureC: typicalC, humidity: 60 }));

  /** @param random The random source. */
  constructor(random: RandomSource) {
    this.#random = random;
  }

  /**
   * Moves every city's weather one step, pulled back towards its typical temperature.
   * @param now The report's time, ms since the epoch.
   * @returns One report per city, in {@link DEMO_CITIES} order.
   */
  next(now: number): WeatherReport[] {
    return this.#state.map((s) => {
      s.temperatureC = s.temperatureC + 0.2 * (s.typicalC - s.temperatureC) + 0.6 * gaussian(this.#random);
      s.humidity = Math.min(100, Math.max(5, s.humidity + 4 * gaussian(this.#random)));
      const condition = DEMO_CONDITIONS[Math.floor(this.#random() * DEMO_CONDITIONS.length)] ?? DEMO_CONDITIONS[0];
      return {
        city: s.city,
        temperatureC: Math.round(s.temperatureC * 10) / 10,
        humidity: Math.round(s.humidity),
        windKph: Math.round(Math.abs(12 + 8 * gaussian(this.#random))),
        // Snow only below freezing, rain only above: the strip should not look absurd.
        condition:
          condition === 'snow' && s.temperatureC > 1
            ? 'rain'
            : condition === 'rain' && s.temperatureC < 0
              ? 'snow'
              : condition,
        time: now,
      };
    });
  }
}
