// Webhooks: one endpoint's delivery: a bounded queue, batches, signed POSTs, retries with backoff, dead letters.
import { request } from 'undici';
import { SIGNATURE_HEADER, signBody } from '../signature.ts';
import { backoffDelayMs, type ResolvedEndpointOptions } from './options.ts';
import { BoundedRing } from './ring.ts';

/** One event ready to send: its id and its JSON, serialized once for every endpoint. */
export interface QueuedEvent {
  readonly id: string;
  readonly json: string;
  /** When it was queued, in ms since the epoch (for `maxWaitMs`). */
  readonly queuedAt: number;
}

/** Why an attempt failed: a bounded set, safe as a metric label. */
export type WebhookFailure = 'timeout' | 'network' | 'http_3xx' | 'http_4xx' | 'http_5xx' | 'shutdown';

/** Why events were given up. */
export type DeadLetterCause = 'overflow' | 'attempts' | 'shutdown';

/** What the endpoint reports (metrics, logs). `endpoint` is the URL without query or credentials. */
export interface WebhookObserver {
  /** A batch of `events` was acknowledged with a 2xx. */
  sent?(endpoint: string, events: number): void;
  /** One POST failed. */
  failedAttempt?(endpoint: string, reason: WebhookFailure): void;
  /** `events` events were given up. */
  deadLettered?(endpoint: string, events: number, cause: DeadLetterCause): void;
}

/** Counters and state of one endpoint (for `/health` and tests). */
export interface WebhookEndpointStats {
  readonly endpoint: string;
  /** Events accepted for this endpoint. */
  readonly emitted: number;
  /** Events acknowledged by the receiver. */
  readonly delivered: number;
  readonly batches: number;
  readonly failedAttempts: number;
  readonly deadLettered: number;
  /** Events waiting (not counting the batch in flight). */
  readonly queued: number;
  /** Events in the batch being sent or waiting for its retry. */
  readonly inFlight: number;
  readonly state: 'idle' | 'sending' | 'backoff' | 'closed';
  /** The last failure, if the latest attempt failed. */
  readonly lastError: WebhookFailure | null;
}

interface Batch {
  readonly events: readonly QueuedEvent[];
  readonly body: string;
  attempts: number;
}

/** The `User-Agent` of webhook requests. */
export const WEBHOOK_USER_AGENT = 'Switchboard-Webhooks/1';

/**
 * Delivers one endpoint's events, in order, one request at a time: events wait in a bounded ring (the oldest is
 * dead-lettered when it is full), leave in batches of at most `maxBatchSize` once the batch is full or its oldest
 * event waited `maxWaitMs`, are signed (`Switchboard-Signature` over the exact body) and retried with exponential
 * backoff until a 2xx or `maxAttempts`. {@link WebhookEndpoint.push} never blocks and never throws.
 */
export class WebhookEndpoint {
  /** The URL without query or credentials: the metric label and `/health` name. */
  readonly name: string;
  readonly #options: ResolvedEndpointOptions;
  readonly #observer: WebhookObserver;
  readonly #queue: BoundedRing<QueuedEvent>;
  #batch: Batch | null = null;
  #sending = false;
  /** The attempt running now (its request, then its bookkeeping). */
  #current: Promise<void> | null = null;
  #waitTimer: ReturnType<typeof setTimeout> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Aborts the request in flight at the shutdown deadline. */
  readonly #stop = new AbortController();
  #flushing = false;
  #closed = false;
  #lastError: WebhookFailure | null = null;
  #idle: (() => void)[] = [];
  /** Bytes (UTF-16 code units, a close bound for JSON's mostly ASCII) of the waiting events. */
  #queuedBytes = 0;
  #emitted = 0;
  #delivered = 0;
  #batches = 0;
  #failedAttempts = 0;
  #deadLettered = 0;

  /**
   * @param options The endpoint's resolved options.
   * @param observer Metrics hooks.
   */
  constructor(options: ResolvedEndpointOptions, observer: WebhookObserver = {}) {
    this.#options = options;
    this.#observer = observer;
    this.#queue = new BoundedRing(options.maxQueuedEvents);
    const url = new URL(options.url);
    this.name = `${url.protocol}//${url.host}${url.pathname}`;
  }

  /** The event names this endpoint takes. */
  get events(): readonly string[] {
    return this.#options.events;
  }

  /**
   * Queues an event; returns at once. When the queue is full its oldest waiting event is dead-lettered.
   * @param event The serialized event.
   */
  push(event: QueuedEvent): void {
    this.#emitted++;
    if (this.#closed) {
      this.#deadLetter(1, 'shutdown');
      return;
    }
    const dropped = this.#queue.push(event);
    this.#queuedBytes += event.json.length;
    if (dropped !== undefined) this.#dropped(dropped);
    while (this.#queuedBytes > this.#options.maxQueuedBytes && this.#queue.size > 1)
      this.#dropped(this.#queue.shift()!);
    this.#schedule();
  }

  /** Counters and state. */
  stats(): WebhookEndpointStats {
    return {
      endpoint: this.name,
      emitted: this.#emitted,
      delivered: this.#delivered,
      batches: this.#batches,
      failedAttempts: this.#failedAttempts,
      deadLettered: this.#deadLettered,
      queued: this.#queue.size,
      inFlight: this.#batch?.events.length ?? 0,
      state: this.#closed ? 'closed' : this.#sending ? 'sending' : this.#retryTimer !== null ? 'backoff' : 'idle',
      lastError: this.#lastError,
    };
  }

  /**
   * Sends what is queued without waiting for `maxWaitMs`, retrying failures on their backoff, until everything is
   * delivered or the deadline passes; then aborts the request in flight and dead-letters what is left. Later events
   * are dead-lettered at once.
   * @param timeoutMs The deadline, in ms.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#closed) return;
    this.#flushing = true;
    if (this.#waitTimer !== null) clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    this.#schedule();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        if (this.#isIdle()) resolve();
        else this.#idle.push(resolve);
      }),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#stop.abort();
    // The request in flight settles at once (aborted) and dead-letters its batch unless it was acknowledged.
    if (this.#sending) await this.#current;
    const left = this.#queue.size + (this.#batch?.events.length ?? 0);
    while (this.#queue.shift() !== undefined);
    this.#queuedBytes = 0;
    this.#batch = null;
    if (left > 0) this.#deadLetter(left, 'shutdown');
  }

  #isIdle(): boolean {
    return this.#batch === null && this.#queue.size === 0;
  }

  #schedule(): void {
    if (this.#closed || this.#batch !== null) return;
    const oldest = this.#queue.peek();
    if (oldest === undefined) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
      return;
    }
    const waitedMs = Date.now() - oldest.queuedAt;
    if (this.#flushing || this.#queue.size >= this.#options.maxBatchSize || waitedMs >= this.#options.maxWaitMs) {
      if (this.#waitTimer !== null) clearTimeout(this.#waitTimer);
      this.#waitTimer = null;
      const events: QueuedEvent[] = [];
      while (events.length < this.#options.maxBatchSize && this.#queue.size > 0) events.push(this.#take());
      this.#batch = { events, body: `{"events":[${events.map((e) => e.json).join(',')}]}`, attempts: 0 };
      this.#current = this.#attempt(this.#batch);
      return;
    }
    if (this.#waitTimer === null) {
      this.#waitTimer = setTimeout(() => {
        this.#waitTimer = null;
        this.#schedule();
      }, this.#options.maxWaitMs - waitedMs);
      this.#waitTimer.unref();
    }
  }

  async #attempt(batch: Batch): Promise<void> {
    this.#retryTimer = null;
    this.#sending = true;
    const failure = await this.#post(batch.body);
    this.#sending = false;
    if (this.#batch !== batch) return;
    if (failure === null) {
      this.#lastError = null;
      this.#delivered += batch.events.length;
      this.#batches++;
      this.#observer.sent?.(this.name, batch.events.length);
      this.#batch = null;
      this.#schedule();
      return;
    }
    if (this.#closed) {
      // Aborted at the shutdown deadline: not the receiver's failure; close() dead-letters the batch.
      return;
    }
    this.#lastError = failure;
    this.#failedAttempts++;
    this.#observer.failedAttempt?.(this.name, failure);
    batch.attempts++;
    if (batch.attempts >= this.#options.maxAttempts) {
      this.#batch = null;
      this.#deadLetter(batch.events.length, 'attempts');
      this.#schedule();
      return;
    }
    this.#retryTimer = setTimeout(
      () => {
        this.#current = this.#attempt(batch);
      },
      backoffDelayMs(batch.attempts, this.#options),
    );
    this.#retryTimer.unref();
  }

  /**
   * One signed POST. @returns null on a 2xx, else why it failed.
   *
   * Sent with undici's `request`, not `fetch`: Node 20's `fetch` follows the caller's AbortSignal through a weak link
   * that garbage collection can cut (nodejs/undici#4984), after which a timeout no longer aborts the request and a
   * hung receiver stalls the endpoint for good (a CI run saw it). `request` listens to the signal directly, and the
   * deadline here is a plain timer held until the attempt settles, backed by undici's own headers and body timeouts.
   */
  async #post(body: string): Promise<WebhookFailure | null> {
    const timeoutMs = this.#options.timeoutMs;
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, timeoutMs);
    const onStop = (): void => attempt.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    try {
      const response = await request(this.#options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          [SIGNATURE_HEADER.toLowerCase()]: signBody(this.#options.secret, body),
        },
        body,
        // A redirect is not followed (undici's request never does): the signed body would go wherever it points.
        signal: attempt.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump().catch(() => {});
      const status = response.statusCode;
      if (status >= 200 && status < 300) return null;
      return status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : 'http_3xx';
    } catch (err) {
      if (this.#stop.signal.aborted) return 'shutdown';
      return timedOut || isTimeout(err) ? 'timeout' : 'network';
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }

  #dropped(event: QueuedEvent): void {
    this.#queuedBytes -= event.json.length;
    this.#deadLetter(1, 'overflow');
  }

  #take(): QueuedEvent {
    const event = this.#queue.shift()!;
    this.#queuedBytes -= event.json.length;
    return event;
  }

  #deadLetter(events: number, cause: DeadLetterCause): void {
    this.#deadLettered += events;
    this.#observer.deadLettered?.(this.name, events, cause);
  }
}

/** undici's own deadline errors (headers or body too slow), as distinct from a refused or reset connection. */
function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
