// Client SDK (Node-free): liveness of the current connection: an application `ping` after idle time (browsers cannot
// send ping frames), and the connection declared dead when nothing at all comes back in time.
import { ClientError } from './errors.ts';
import type { TimerHandle, TimerSet } from './timers.ts';
import type { TransportSocket } from './transport.ts';

/** What the liveness check needs from its client. */
export interface LivenessHost {
  /** The current socket, or null. */
  current(): TransportSocket | null;
  /** Sends an application ping on the current connection. */
  ping(timeoutMs: number): Promise<unknown>;
  /** The socket is dead: replace it. */
  dead(socket: TransportSocket): void;
}

/**
 * Pings a connection that has been quiet for `intervalMs`. Time is read from the clock when the timer fires, so a
 * throttled background-tab timer that fires late does not kill a live connection: anything received after the ping
 * was sent proves the connection alive.
 */
export class Liveness {
  readonly #timers: TimerSet;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #host: LivenessHost;
  #timer: TimerHandle | null = null;
  #lastReceivedAt = 0;

  /**
   * @param timers Where the ping timer runs (its clock is the one read).
   * @param options `intervalMs` of idle time before a ping (0 disables), `timeoutMs` for its answer.
   * @param host The client.
   */
  constructor(
    timers: TimerSet,
    options: { readonly intervalMs: number; readonly timeoutMs: number },
    host: LivenessHost,
  ) {
    this.#timers = timers;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#host = host;
  }

  /** Something arrived on the current connection. */
  received(): void {
    this.#lastReceivedAt = this.#timers.clock.now();
  }

  /** A connection is established: start watching it. */
  start(socket: TransportSocket): void {
    this.received();
    this.#schedule(socket);
  }

  /** The connection is gone or the client closed. */
  stop(): void {
    this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  #schedule(socket: TransportSocket): void {
    if (this.#intervalMs <= 0) return;
    const clock = this.#timers.clock;
    this.#timer = this.#timers.start(() => {
      this.#timer = null;
      if (this.#host.current() !== socket) return;
      if (clock.now() - this.#lastReceivedAt < this.#intervalMs) {
        this.#schedule(socket);
        return;
      }
      const sentAt = clock.now();
      this.#host.ping(this.#timeoutMs).then(
        () => this.#schedule(socket),
        (err: unknown) => {
          if (this.#host.current() !== socket) return;
          if (err instanceof ClientError && err.code === 'timeout' && this.#lastReceivedAt <= sentAt)
            this.#host.dead(socket);
          else this.#schedule(socket);
        },
      );
    }, this.#intervalMs);
  }
}
