// Client SDK (Node-free): the publish pipeline: outbox, acks, retries with the same id, circuit breaker.
import { TimerSet, systemClock, type Clock, type TimerHandle } from './timers.ts';
import type { JsonValue, PublishReply, ServerMessage } from '../messages/core.ts';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';
import { ClientError } from './errors.ts';
import { Outbox, type OutboxEntry, type OutboxOptions } from './outbox.ts';

/** Server error codes after which a publish is retried (same id); any other error fails it. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'timeout',
  'broker_unavailable',
  'backend_unavailable',
  'internal',
  'rate_limited',
]);

/** What the publisher needs from its client. */
export interface PublisherHost {
  /** The current connection (any identity object) while connected, else null. */
  connection(): object | null;
  /** Sends a request on the current connection. */
  request(
    message:
      | {
          readonly type: 'publish';
          readonly channel: string;
          readonly data: JsonValue;
          readonly id: string;
          readonly echo?: false;
        }
      | { readonly type: 'send'; readonly user: string; readonly data: JsonValue; readonly id: string },
    options: { readonly timeoutMs: number },
  ): Promise<ServerMessage>;
  acked(entry: OutboxEntry, reply: PublishReply): void;
  failed(entry: OutboxEntry, error: ClientError): void;
  breaker(state: BreakerState): void;
  resent(): void;
  /** Pause after a retryable server error before the outbox is pumped again, in ms. */
  retryDelayMs(): number;
}

/** Options of the publisher (a subset of the client's). */
export interface PublisherOptions {
  readonly outbox?: OutboxOptions;
  readonly breaker?: BreakerOptions | false;
  /** @default 10000 */
  readonly ackTimeoutMs?: number;
  /** Unacknowledged sends at once. @default 128 */
  readonly maxInFlight?: number;
  readonly newMessageId: () => string;
  /** Where ack timeouts, retry pauses and the breaker's reset timer run. @default systemClock */
  readonly clock?: Clock;
}

interface Waiter {
  readonly resolve: (reply: PublishReply) => void;
  readonly reject: (err: ClientError) => void;
  readonly timer: TimerHandle | null;
}

/**
 * Sends outbox entries in order on the current connection, at most `maxInFlight` unacknowledged at once, waits for each
 * ack, resends after `ackTimeoutMs` or a lost connection with the same id (the server delivers it once), and opens the
 * circuit after consecutive failures. The window matters after an outage: a backlog of thousands goes out a window at
 * a time, so a connection that is lost again soon still gets acks back instead of resending everything each time.
 * Strict order holds across connection losses; a message refused with a retryable server error is sent again after a
 * pause and may land after messages that were accepted meanwhile.
 */
export class Publisher {
  readonly #host: PublisherHost;
  readonly #outbox: Outbox;
  readonly #waiters = new Map<string, Waiter>();
  /** Ids sent on the current connection and not answered yet. */
  readonly #inFlight = new Set<string>();
  /** Ids sent at least once: a later send is a retry. */
  readonly #sentOnce = new Set<string>();
  readonly #breaker: CircuitBreaker | null;
  readonly #whenOpen: 'reject' | 'queue';
  readonly #ackTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #newId: () => string;
  readonly #timers: TimerSet;
  #pumpTimer: TimerHandle | null = null;
  readonly #persisted: boolean;

  /**
   * @param options Outbox, breaker, ack timeout, id maker.
   * @param host The client.
   */
  constructor(options: PublisherOptions, host: PublisherHost) {
    this.#host = host;
    this.#timers = new TimerSet(options.clock ?? systemClock);
    this.#outbox = new Outbox(options.outbox ?? {}, () => {});
    this.#persisted = options.outbox?.store !== undefined;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    const maxInFlight = options.maxInFlight ?? 128;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
      throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
    this.#maxInFlight = maxInFlight;
    this.#newId = options.newMessageId;
    this.#whenOpen = options.breaker === false ? 'reject' : (options.breaker?.whenOpen ?? 'reject');
    this.#breaker =
      options.breaker === false
        ? null
        : new CircuitBreaker(
            options.breaker ?? {},
            (state) => {
              host.breaker(state);
              if (state !== 'open') this.pump();
            },
            this.#timers,
          );
    this.#outbox.loaded.then(
      () => this.pump(),
      () => {},
    );
  }

  /** The circuit's state (`closed` without a breaker). */
  get breakerState(): BreakerState {
    return this.#breaker?.state ?? 'closed';
  }

  /** Queued messages, oldest first. */
  entries(): OutboxEntry[] {
    return this.#outbox.entries();
  }

  /** Resolves once the outbox is written to its store. */
  flushed(): Promise<void> {
    return this.#outbox.flushed();
  }

  /**
   * Queues a message and pumps.
   * @param kind `publish` or `send`.
   * @param target Channel or user.
   * @param data Payload.
   * @param options `id`, `timeoutMs` (overall), `echo` (publish only).
   * @returns The ack.
   */
  enqueue(
    kind: 'publish' | 'send',
    target: string,
    data: JsonValue,
    options: { readonly id?: string; readonly timeoutMs?: number; readonly echo?: boolean; readonly key?: string },
  ): Promise<PublishReply> {
    if (this.#breaker?.state === 'open' && this.#whenOpen === 'reject' && this.#host.connection() !== null) {
      return Promise.reject(new ClientError('circuit_open', 'Cannot publish: the server keeps failing (circuit open)'));
    }
    const entry: OutboxEntry = {
      id: options.id ?? this.#newId(),
      kind,
      target,
      data,
      queuedAt: this.#timers.clock.now(),
      ...(kind === 'publish' && options.echo === false ? { echo: false as const } : {}),
      ...(kind === 'publish' && options.key !== undefined ? { key: options.key } : {}),
    };
    if (this.#outbox.has(entry.id))
      return Promise.reject(
        new ClientError('duplicate_id', 'Cannot publish: a message with this id is already queued'),
      );
    let dropped: OutboxEntry | null;
    try {
      dropped = this.#outbox.add(entry);
    } catch (err) {
      return Promise.reject(
        new ClientError('outbox_full', err instanceof Error ? err.message : 'Cannot queue: the outbox is full'),
      );
    }
    if (dropped !== null) this.#fail(dropped, new ClientError('dropped', 'Dropped from the full outbox'));
    const promise = new Promise<PublishReply>((resolve, reject) => {
      const timer =
        options.timeoutMs === undefined
          ? null
          : this.#timer(() => {
              if (this.#outbox.remove(entry.id))
                this.#fail(entry, new ClientError('timeout', `Not acknowledged within ${options.timeoutMs} ms`));
            }, options.timeoutMs);
      this.#waiters.set(entry.id, { resolve, reject, timer });
    });
    this.pump();
    return promise;
  }

  /** Sends queued messages not already in flight on this connection, in order, up to the window (one probe when half-open). */
  pump(): void {
    const connection = this.#host.connection();
    if (connection === null) return;
    if (this.#breaker !== null && !this.#breaker.allows) return;
    const probe = this.#breaker?.state === 'half-open';
    if (this.#inFlight.size >= this.#maxInFlight) return;
    for (const entry of this.#outbox.values()) {
      if (this.#inFlight.has(entry.id)) {
        if (probe) return;
        continue;
      }
      this.#send(entry, connection);
      if (probe || this.#inFlight.size >= this.#maxInFlight) return;
    }
  }

  /** The connection dropped: everything unacknowledged goes out again on the next one. */
  connectionLost(): void {
    this.#inFlight.clear();
  }

  /** The client closed: fail the waiters (a persisted outbox keeps the messages for the next client). */
  close(): void {
    this.#timers.clearAll();
    this.#pumpTimer = null;
    this.#breaker?.dispose();
    for (const [id, w] of this.#waiters) {
      w.reject(new ClientError('closed', 'The client was closed before the message was acknowledged'));
      if (!this.#persisted) this.#outbox.remove(id);
    }
    this.#waiters.clear();
  }

  #send(entry: OutboxEntry, connection: object, resend = false): void {
    this.#inFlight.add(entry.id);
    if (resend || this.#sentOnce.has(entry.id)) this.#host.resent();
    this.#sentOnce.add(entry.id);
    const message =
      entry.kind === 'publish'
        ? {
            type: 'publish' as const,
            channel: entry.target,
            data: entry.data,
            id: entry.id,
            ...(entry.echo === false ? { echo: false as const } : {}),
            ...(entry.key === undefined ? {} : { key: entry.key }),
          }
        : { type: 'send' as const, user: entry.target, data: entry.data, id: entry.id };
    this.#host
      .request(message, { timeoutMs: this.#ackTimeoutMs })
      .then((answer) => {
        if (!this.#outbox.has(entry.id)) return;
        if (answer.type !== 'reply')
          throw new ClientError('protocol', `Unexpected "${answer.type}" answer to ${entry.kind}`);
        this.#inFlight.delete(entry.id);
        this.#sentOnce.delete(entry.id);
        this.#outbox.remove(entry.id);
        this.#breaker?.success();
        const reply = answer.data as unknown as PublishReply;
        const w = this.#waiters.get(entry.id);
        this.#waiters.delete(entry.id);
        if (w !== undefined) {
          this.#clear(w.timer);
          w.resolve(reply);
        }
        this.#host.acked(entry, reply);
        // A slot of the window is free: the next queued message may go.
        this.pump();
      })
      .catch((err: unknown) => {
        if (!this.#outbox.has(entry.id)) return;
        const error = err instanceof ClientError ? err : new ClientError('protocol', String(err));
        if (error.code === 'closed') return; // stays queued; the next connection sends it again
        if (this.#host.connection() !== connection) return;
        if (RETRYABLE_CODES.has(error.code) || error.code === 'protocol') {
          this.#breaker?.failure();
          this.#inFlight.delete(entry.id);
          if (error.code === 'timeout') {
            if (this.#breaker === null || this.#breaker.allows) this.#send(entry, connection, true);
          } else {
            this.#clear(this.#pumpTimer);
            this.#pumpTimer = this.#timer(() => {
              this.#pumpTimer = null;
              this.pump();
            }, this.#host.retryDelayMs());
          }
          return;
        }
        this.#outbox.remove(entry.id);
        this.#fail(entry, error);
        this.pump();
      });
  }

  #fail(entry: OutboxEntry, error: ClientError): void {
    this.#inFlight.delete(entry.id);
    this.#sentOnce.delete(entry.id);
    const w = this.#waiters.get(entry.id);
    this.#waiters.delete(entry.id);
    if (w !== undefined) {
      this.#clear(w.timer);
      w.reject(error);
    }
    this.#host.failed(entry, error);
  }

  #timer(fn: () => void, ms: number): TimerHandle {
    return this.#timers.start(fn, ms);
  }

  #clear(t: TimerHandle | null): void {
    this.#timers.clear(t);
  }
}
