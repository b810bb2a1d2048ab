// Ingest: the built-in demo source (kind `demo`): simulated prices for 20 symbols or weather for 5 cities, made in
// process at a set interval, for demos, the dashboard page and tests. Started by `serve --dev`, never in production.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PriceWalk, type RandomSource, WeatherWalk } from './demo-data.ts';
import type { Source, SourceMessage, SourceStatus } from './source.ts';

/** Default tick of the `prices` generator: every symbol once a second, a lively but readable table. */
export const DEFAULT_PRICES_INTERVAL_MS = 1000;
/** Default tick of the `weather` generator: weather changes slowly; every 5 s is plenty for a strip. */
export const DEFAULT_WEATHER_INTERVAL_MS = 5000;
/** Shortest allowed tick: below 10 ms the generator would only burn CPU (20 messages per tick). */
const MIN_INTERVAL_MS = 10;
/** Longest allowed tick: one hour (a longer one is a mistake, not a demo). */
const MAX_INTERVAL_MS = 3_600_000;
/** Pause before re-delivering a retried message, so a refusing broker is not asked in a tight loop. */
const RETRY_DELAY_MS = 100;

/** Options of a `demo` source, as written in the serve config's `ingest[].source`. */
export const demoSourceOptionsSchema = z
  .object({
    kind: z.literal('demo'),
    /** `prices`: 20 symbols, subject `prices.<SYMBOL>`; `weather`: 5 cities, subject `weather.<city>`. */
    generator: z.enum(['prices', 'weather']),
    /** Time between two ticks (each tick delivers one message per symbol or city). @default 1000 for prices, 5000 for weather */
    intervalMs: z.number().int().min(MIN_INTERVAL_MS).max(MAX_INTERVAL_MS).optional(),
  })
  .strict();

/** Options of a `demo` source. */
export type DemoSourceOptions = z.infer<typeof demoSourceOptionsSchema>;

/** What tests may replace. */
export interface DemoSourceDeps {
  /** @default Math.random */
  readonly random?: RandomSource;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One generated message and how it was settled. */
class DemoMessage implements SourceMessage {
  readonly position: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly timestamp: number;
  /** `retry` asked for it again; cleared when it is handed out again. */
  retried = false;
  settled: 'ack' | 'dead' | null = null;
  deadReason: string | null = null;

  constructor(position: string, subject: string, payload: Uint8Array, timestamp: number) {
    this.position = position;
    this.subject = subject;
    this.payload = payload;
    this.timestamp = timestamp;
  }

  async ack(): Promise<void> {
    if (this.settled === null) this.settled = 'ack';
  }

  async deadLetter(reason: string): Promise<void> {
    // A demo has no dead-letter target: settling is all there is.
    if (this.settled === null) {
      this.settled = 'dead';
      this.deadReason = reason;
    }
  }

  async retry(): Promise<void> {
    if (this.settled === null) this.retried = true;
  }
}

/** The demo source; see {@link createDemoSource}. */
class DemoSource implements Source {
  readonly name: string;
  readonly kind = 'demo';
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #next: (now: number) => readonly { subject: string; payload: unknown }[];
  /** Unique per run: positions of two runs never collide, so a restart does not look like a redelivery. */
  readonly #bootId = randomUUID().slice(0, 8);
  #seq = 0;
  #state: SourceStatus['state'] = 'connecting';
  #paused = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  /** Generated but not yet settled (the tick being delivered): the source's lag. */
  #pending = 0;

  constructor(name: string, options: DemoSourceOptions, deps: DemoSourceDeps) {
    this.name = name;
    const random = deps.random ?? Math.random;
    this.#now = deps.now ?? Date.now;
    if (options.generator === 'prices') {
      const walk = new PriceWalk(random);
      this.#intervalMs = options.intervalMs ?? DEFAULT_PRICES_INTERVAL_MS;
      this.#next = (now) => walk.next(now).map((t) => ({ subject: `prices.${t.symbol}`, payload: t }));
    } else {
      const walk = new WeatherWalk(random);
      this.#intervalMs = options.intervalMs ?? DEFAULT_WEATHER_INTERVAL_MS;
      this.#next = (now) => walk.next(now).map((r) => ({ subject: `weather.${r.city}`, payload: r }));
    }
  }

  async start(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    if (this.#loop !== null || this.#state === 'closed') throw new Error(`demo source ${this.name}: already started`);
    this.#state = this.#paused ? 'paused' : 'running';
    this.#loop = this.#run(deliver);
  }

  pause(): void {
    this.#paused = true;
    if (this.#state === 'running') this.#state = 'paused';
  }

  resume(): void {
    this.#paused = false;
    if (this.#state === 'paused') this.#state = 'running';
    this.#wakeUp();
  }

  async close(): Promise<void> {
    this.#state = 'closed';
    this.#wakeUp();
    await this.#loop;
  }

  status(): SourceStatus {
    return { state: this.#state, lag: this.#pending };
  }

  get #closed(): boolean {
    return this.#state === 'closed';
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Waits `ms`, or until resumed or closed (whichever comes first). */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Waits while paused (and not closed). */
  async #whilePaused(): Promise<void> {
    while (this.#paused && !this.#closed) await this.#sleep(MAX_INTERVAL_MS);
  }

  /** Generates a tick, delivers its messages one at a time (a retried one again before the next), sleeps, repeats. */
  async #run(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    const encoder = new TextEncoder();
    while (!this.#closed) {
      await this.#whilePaused();
      if (this.#closed) break;
      const startedAt = this.#now();
      const tick = this.#next(startedAt).map(
        ({ subject, payload }) =>
          new DemoMessage(
            `${this.#bootId}:${++this.#seq}`,
            subject,
            encoder.encode(JSON.stringify(payload)),
            startedAt,
          ),
      );
      this.#pending = tick.length;
      for (const message of tick) {
        await this.#whilePaused();
        if (this.#closed) break;
        for (;;) {
          message.retried = false;
          try {
            await deliver(message);
          } catch {
            // The runner settles what it cannot publish; a throw is its bug, and the demo moves on.
          }
          if (!message.retried || this.#closed) break;
          await this.#sleep(RETRY_DELAY_MS);
          await this.#whilePaused();
          if (this.#closed) break;
        }
        this.#pending--;
        if (this.#closed) break;
      }
      this.#pending = 0;
      if (this.#closed) break;
      await this.#sleep(Math.max(0, this.#intervalMs - (this.#now() - startedAt)));
    }
  }
}

/**
 * A built-in demo source: `prices` ticks 20 simulated symbols (subject `prices.<SYMBOL>`, JSON
 * `{symbol, price, change, changePct, volume, time}`, a random walk) every `intervalMs` (1000), `weather` 5 cities
 * (subject `weather.<city>`, JSON `{city, temperatureC, humidity, windKph, condition, time}`) every 5000 ms.
 * Positions are `<bootId>:<seq>`, unique per run. `ack` and `deadLetter` settle; `retry` delivers the same message
 * again next (after 100 ms, and not while paused).
 * @param name The connector's name.
 * @param options Options, checked with {@link demoSourceOptionsSchema}.
 * @param deps A random source and clock for tests.
 * @throws {z.ZodError} Invalid options.
 */
export function createDemoSource(name: string, options: DemoSourceOptions, deps: DemoSourceDeps = {}): Source {
  return new DemoSource(name, demoSourceOptionsSchema.parse(options), deps);
}
