// Client SDK (Node-free): renews the token before `connected.expires` with `refresh`, without reconnecting.
import type { RefreshReply, ServerMessage } from '../messages/core.ts';
import type { TimerHandle, TimerSet } from './timers.ts';
import type { TransportSocket } from './transport.ts';

/** What the refresher needs from its client. */
export interface TokenRefreshHost {
  /** The current socket, or null. */
  current(): TransportSocket | null;
  /** The application's token provider. */
  getToken(): Promise<string | undefined>;
  /** Sends `refresh` on the current connection. */
  refresh(token: string): Promise<ServerMessage>;
}

/** Largest pause between two attempts after a failed refresh, in ms. */
const MAX_RETRY_MS = 5000;
/** Smallest pause between two attempts after a failed refresh, in ms. */
const MIN_RETRY_MS = 100;

/**
 * Schedules `refresh` at `expires - margin` (the margin at most a third of the remaining lifetime) and retries a failed
 * one while the token is still valid; if it lapses, the server closes with 4003 and the reconnect fetches a new token.
 */
export class TokenRefresher {
  readonly #timers: TimerSet;
  readonly #marginMs: number;
  readonly #host: TokenRefreshHost;
  #timer: TimerHandle | null = null;

  /**
   * @param timers Where the refresh timer runs.
   * @param marginMs How long before expiry to refresh.
   * @param host The client.
   */
  constructor(timers: TimerSet, marginMs: number, host: TokenRefreshHost) {
    this.#timers = timers;
    this.#marginMs = marginMs;
    this.#host = host;
  }

  /**
   * Plans the next refresh of the token that `socket` authenticated with.
   * @param socket The connection.
   * @param expires The expiry in ms since the Unix epoch, or undefined for a token that does not expire.
   */
  schedule(socket: TransportSocket, expires: number | undefined): void {
    this.stop();
    if (expires === undefined) return;
    const left = expires - this.#timers.clock.now();
    const margin = Math.min(this.#marginMs, Math.max(0, left / 3));
    this.#timer = this.#timers.start(
      () => {
        this.#timer = null;
        void this.#refresh(socket, expires);
      },
      Math.max(0, left - margin),
    );
  }

  /** The connection is gone or the client closed. */
  stop(): void {
    this.#timers.clear(this.#timer);
    this.#timer = null;
  }

  async #refresh(socket: TransportSocket, expires: number): Promise<void> {
    try {
      const token = await this.#host.getToken();
      if (this.#host.current() !== socket || token === undefined) return;
      const answer = await this.#host.refresh(token);
      const data = answer.type === 'reply' ? (answer.data as RefreshReply | undefined) : undefined;
      if (this.#host.current() === socket)
        this.schedule(socket, typeof data?.expires === 'number' ? data.expires : undefined);
    } catch {
      const left = expires - this.#timers.clock.now();
      if (this.#host.current() !== socket || left <= 0) return;
      this.#timer = this.#timers.start(
        () => {
          this.#timer = null;
          void this.#refresh(socket, expires);
        },
        Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, left / 4)),
      );
    }
  }
}
