// Client SDK (Node-free): the sending half of an HTTP session: messages sent in the same tick go out in one
// `POST /http/send` (docs/protocol.md § 15.2), in order, with one POST in flight at a time.
import { endpoint, requestInit, type HttpTransportConfig } from './http-transport.ts';

/** Messages per POST: the server's bound (docs/protocol.md § 15.2). */
export const MAX_MESSAGES_PER_POST = 100;
/**
 * Body size above which a batch is split, in bytes of JSON text: a quarter of the server's default API body
 * limit (1 MiB), so any server that accepts a 64 KiB message accepts the batch.
 */
export const MAX_POST_BODY_CHARS = 256 * 1024;

/** Batches and posts the messages of one session. */
export class HttpSender {
  readonly #config: HttpTransportConfig;
  readonly #session: string;
  readonly #signal: AbortSignal;
  readonly #failed: (status: number | null, error: unknown) => void;
  #queue: string[] = [];
  #scheduled = false;
  #inFlight = false;
  #stopped = false;

  /**
   * @param config Where and with which credentials to post.
   * @param session The session id.
   * @param signal Aborts the POST in flight.
   * @param failed Called once when a POST fails (`status` null for a network error): the messages it carried may or
   *   may not have reached the session, so the session must end (the client recovers on a new one).
   */
  constructor(
    config: HttpTransportConfig,
    session: string,
    signal: AbortSignal,
    failed: (status: number | null, error: unknown) => void,
  ) {
    this.#config = config;
    this.#session = session;
    this.#signal = signal;
    this.#failed = failed;
  }

  /** Messages queued and not yet posted. */
  get queued(): number {
    return this.#queue.length;
  }

  /** @param message One client message's JSON. */
  send(message: string): void {
    if (this.#stopped) return;
    this.#queue.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  /** Nothing more is posted. */
  stop(): void {
    this.#stopped = true;
    this.#queue = [];
  }

  async #flush(): Promise<void> {
    while (!this.#inFlight && !this.#stopped && this.#queue.length > 0) {
      let count = 0;
      let chars = 2;
      while (count < this.#queue.length && count < MAX_MESSAGES_PER_POST) {
        const next = (this.#queue[count] as string).length + 1;
        if (count > 0 && chars + next > MAX_POST_BODY_CHARS) break;
        chars += next;
        count++;
      }
      const batch = this.#queue.splice(0, count);
      this.#inFlight = true;
      let status: number | null = null;
      let ok = false;
      let error: unknown;
      try {
        const response = await this.#config.fetch(
          endpoint(this.#config, '/http/send', { session: this.#session }),
          requestInit(this.#config, 'POST', this.#signal, `[${batch.join(',')}]`),
        );
        status = response.status;
        // Read to the end, so that the connection is reused.
        await response.text();
        ok = response.ok;
      } catch (err) {
        error = err;
      }
      this.#inFlight = false;
      if (this.#stopped) return;
      if (!ok) {
        this.stop();
        this.#failed(status, error);
        return;
      }
    }
  }
}
