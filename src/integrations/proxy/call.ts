// Integrations/proxy: one proxied call from its start to the hook's answer: breaker, slot, signed POST, answer.
// A refusal is the hook's answer; a broken contract rejects with ProxyAnswerError; nothing else can end it.
//
// Optimisation (bench/RESULTS.md, logic-notes): a call is one object and one promise. Its deadline sits in the
// proxy's deadline list (one timer for every call: they all have the same duration), the POST reports to it by a
// method call, and it resolves the hook's promise with the hook's decision itself: no timer, no closure and no
// intermediate promise per call (an async `call` awaited by the hook's `.then` made three promises and two more
// microtask turns per call).
import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { JsonValue } from '../../messages/index.ts';
import { type LogicCaller, LogicDeadlines, type Refusal } from '../../realtime/index.ts';
import { SIGNATURE_HEADER, signBody } from '../signature.ts';
import type { Breaker } from './breaker.ts';
import type { ConcurrencyLimiter } from './limiter.ts';
import type { ProxyFailure, ProxyObserver, ProxyOutcome } from './options.ts';
import { CallDeadline, type PostCallback, type PostResult, type PostTarget, send } from './post.ts';
import { type ProxyRequestKind, readAnswer, requestBody } from './wire.ts';

/** The header carrying the request id (also the body's `id`), for correlating both sides' logs. */
export const REQUEST_ID_HEADER = 'Switchboard-Request-Id';

/**
 * The least time before its deadline a queued call must have left when a slot frees for it to be sent (or a tenth
 * of the timeout, if smaller): a loopback backend answers in about a millisecond, one across a network in more.
 */
const QUEUED_SEND_MIN_BUDGET_MS = 5;

/** Header names as sent (lower case, as HTTP/1.1 puts them on the wire the same either way). */
const REQUEST_ID_HEADER_KEY = REQUEST_ID_HEADER.toLowerCase();
const SIGNATURE_HEADER_KEY = SIGNATURE_HEADER.toLowerCase();

/**
 * The backend answered outside the contract (a non-2xx status other than 5xx/429, not JSON, a wrong shape). The
 * proxy throws it, so the hub answers the client `internal` and logs it: a backend bug is not something a client
 * should retry, unlike an outage.
 */
export class ProxyAnswerError extends Error {
  override readonly name = 'ProxyAnswerError';
  /** `bad_status` or `invalid`. */
  readonly outcome: 'bad_status' | 'invalid';
  readonly endpoint: string;
  readonly requestId: string;

  constructor(failure: ProxyFailure & { readonly outcome: 'bad_status' | 'invalid'; readonly requestId: string }) {
    super(`backend ${failure.endpoint} broke the proxy contract on a ${failure.kind} request: ${failure.detail}`);
    this.outcome = failure.outcome;
    this.endpoint = failure.endpoint;
    this.requestId = failure.requestId;
  }
}

/** One endpoint URL: where its requests go, its breaker, and its counters for health. */
export interface Endpoint {
  readonly url: string;
  readonly target: PostTarget;
  readonly breaker: Breaker;
  readonly kinds: Set<ProxyRequestKind>;
  /** Where pipelined kinds go (a pool with `HttpProxyOptions.pipelining` per socket); null when it is 1. */
  readonly pipelinedTarget: PostTarget | null;
  inFlight: number;
  requests: number;
  failures: number;
}

/** An allowed call's result: presence info (connect, refresh) or data (publish, rpc), when the backend gave them. */
export interface Allowed {
  readonly refusal: null;
  readonly info?: Record<string, unknown>;
  readonly data?: JsonValue;
}

/** Turns an allowed call's result into the hook's answer (one function per hook, not per call). */
export type AllowedShape<T> = (allowed: Allowed) => T;

/** What the client reads when a call fails fast or the backend fails. */
const UNAVAILABLE_MESSAGES: Readonly<Record<string, string>> = {
  breaker_open: 'The application backend is failing; retry later',
  overloaded: 'The application backend is overloaded; retry later',
  timeout: 'The application backend did not answer in time; retry later',
};
const UNAVAILABLE_MESSAGE = 'The application backend is unavailable; retry later';

/** Why waiting for a slot ended without one. */
type NoSlot = 'overloaded' | 'timeout' | 'closed';

/** What every call of one proxy shares: its limits, its deadline list, its observer, and the count for close(). */
export class ProxyCalls {
  readonly limiter: ConcurrencyLimiter;
  readonly deadlines: LogicDeadlines;
  /** The shared secret as a key object, made once: `createHmac` with a string prepares the key on every call. */
  readonly secret: KeyObject | null;
  readonly maxResponseBytes: number;
  readonly observer: ProxyObserver | null;
  /** The kinds sent through an endpoint's `pipelinedTarget`. */
  readonly pipelinedKinds: ReadonlySet<ProxyRequestKind>;
  /** A queued call granted a slot with less time than this before its deadline ends as a timeout, unsent. */
  readonly minSendBudgetMs: number;
  /** Set by close(): new calls are refused. */
  closed = false;
  #pending = 0;
  #idle: (() => void) | null = null;

  constructor(
    limiter: ConcurrencyLimiter,
    timeoutMs: number,
    secret: string | null,
    maxResponseBytes: number,
    observer: ProxyObserver | null,
    pipelinedKinds: ReadonlySet<ProxyRequestKind>,
  ) {
    this.pipelinedKinds = pipelinedKinds;
    this.limiter = limiter;
    this.deadlines = new LogicDeadlines(timeoutMs);
    this.minSendBudgetMs = Math.min(QUEUED_SEND_MIN_BUDGET_MS, timeoutMs / 10);
    this.secret = secret === null ? null : createSecretKey(Buffer.from(secret, 'utf8'));
    this.maxResponseBytes = maxResponseBytes;
    this.observer = observer;
  }

  /**
   * Runs one call.
   * @param shape turns an allowed result into the hook's answer
   * @returns a refusal at once when the proxy is closed or the breaker open; else the promise of the answer
   */
  run<T>(
    kind: ProxyRequestKind,
    endpoint: Endpoint,
    caller: LogicCaller,
    fields: Readonly<Record<string, unknown>>,
    shape: AllowedShape<T>,
  ): T | Refusal | Promise<T | Refusal> {
    const startedMs = performance.now();
    if (this.closed) return this.unavailable(kind, endpoint, 'closed', null, 'the proxy is closed', startedMs);
    if (!endpoint.breaker.allow(Date.now()))
      return this.unavailable(kind, endpoint, 'breaker_open', null, 'the breaker is open', startedMs);
    return new Promise<T | Refusal>((resolve, reject) => {
      new ProxyCall(this, kind, endpoint, caller, fields, shape, resolve, reject, startedMs).start();
    });
  }

  /** Aborts every call in flight or queued (close()); resolves when the last one has ended. */
  abortAll(): Promise<void> {
    this.closed = true;
    this.limiter.cancelAll();
    for (const entry of this.deadlines.armedEntries()) (entry as CallDeadline).abort('closed');
    if (this.#pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => (this.#idle = resolve));
  }

  /** @internal A call started (armed its deadline). */
  started(call: CallDeadline): void {
    this.deadlines.arm(call);
    this.#pending++;
  }

  /** @internal A call ended. */
  ended(call: CallDeadline): void {
    this.deadlines.cancel(call);
    if (--this.#pending === 0 && this.#idle !== null) this.#idle();
  }

  observe(kind: ProxyRequestKind, outcome: ProxyOutcome, startedMs: number): void {
    this.observer?.request?.(kind, outcome, performance.now() - startedMs);
  }

  /** Counts and reports a failed call; its refusal for the client (`backend_unavailable`). */
  unavailable(
    kind: ProxyRequestKind,
    endpoint: Endpoint,
    outcome: ProxyFailure['outcome'],
    requestId: string | null,
    detail: string,
    startedMs: number,
  ): Refusal {
    endpoint.failures++;
    this.observe(kind, outcome, startedMs);
    this.observer?.failed?.({ kind, endpoint: endpoint.url, outcome, requestId, detail });
    return { refuse: { code: 'backend_unavailable', message: UNAVAILABLE_MESSAGES[outcome] ?? UNAVAILABLE_MESSAGE } };
  }
}

/** One call in flight: its deadline, its place in the queue or its request, then the answer. */
class ProxyCall<T> extends CallDeadline implements PostCallback {
  readonly #calls: ProxyCalls;
  readonly #kind: ProxyRequestKind;
  readonly #endpoint: Endpoint;
  readonly #caller: LogicCaller;
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #shape: AllowedShape<T>;
  readonly #resolve: (answer: T | Refusal) => void;
  readonly #reject: (err: unknown) => void;
  readonly #startedMs: number;
  #id = '';

  constructor(
    calls: ProxyCalls,
    kind: ProxyRequestKind,
    endpoint: Endpoint,
    caller: LogicCaller,
    fields: Readonly<Record<string, unknown>>,
    shape: AllowedShape<T>,
    resolve: (answer: T | Refusal) => void,
    reject: (err: unknown) => void,
    startedMs: number,
  ) {
    super();
    this.#calls = calls;
    this.#kind = kind;
    this.#endpoint = endpoint;
    this.#caller = caller;
    this.#fields = fields;
    this.#shape = shape;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#startedMs = startedMs;
  }

  start(): void {
    const calls = this.#calls;
    calls.started(this);
    if (calls.limiter.tryAcquire()) {
      this.#send();
      return;
    }
    // The queue: a closure per queued call only (the limiter's waiter), none on the common path.
    const waiter = (granted: boolean): void => {
      this.onAbort(null);
      if (!granted) this.#noSlot('closed');
      else if (this.deadlineAt - performance.now() >= calls.minSendBudgetMs) this.#send();
      else {
        // Its deadline passed, or is too close for an answer, while it queued (a slot is often freed by the
        // timeout of a call started just before it): the backend would act on a call its caller is told failed.
        calls.limiter.release();
        this.#noSlot('timeout');
      }
    };
    if (!calls.limiter.enqueue(waiter)) {
      this.#noSlot('overloaded');
      return;
    }
    this.onAbort({
      abortCall: () => {
        if (calls.limiter.cancel(waiter)) this.#noSlot(this.reason ?? 'timeout');
      },
    });
  }

  #noSlot(why: NoSlot): void {
    this.#endpoint.breaker.abandon();
    this.#end(this.#calls.unavailable(this.#kind, this.#endpoint, why, null, `no free slot (${why})`, this.#startedMs));
  }

  /** Holding a slot: signs and sends the request. */
  #send(): void {
    const calls = this.#calls;
    const endpoint = this.#endpoint;
    const id = randomUUID();
    this.#id = id;
    endpoint.inFlight++;
    endpoint.requests++;
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json', [REQUEST_ID_HEADER_KEY]: id };
    try {
      body = requestBody(this.#kind, id, this.#caller, this.#fields);
      if (calls.secret !== null) headers[SIGNATURE_HEADER_KEY] = signBody(calls.secret, body);
    } catch (err) {
      // Nothing was sent (a context that is not JSON): the slot is freed, the hook fails.
      this.#released();
      this.#fail(err);
      return;
    }
    const pipelined = endpoint.pipelinedTarget !== null && calls.pipelinedKinds.has(this.#kind);
    const target = pipelined ? endpoint.pipelinedTarget! : endpoint.target;
    send(target, headers, body, this, calls.maxResponseBytes, pipelined, this);
  }

  #released(): void {
    this.#endpoint.inFlight--;
    this.#calls.limiter.release();
  }

  onPostResult(result: PostResult): void {
    this.#released();
    let answer: T | Refusal;
    try {
      answer = this.#answer(result);
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#end(answer);
  }

  /** The hook's answer to a POST that ended; throws {@link ProxyAnswerError} on a broken contract. */
  #answer(result: PostResult): T | Refusal {
    const calls = this.#calls;
    const { breaker } = this.#endpoint;
    const kind = this.#kind;
    if (!result.ok) {
      if (result.failure === 'closed') breaker.abandon();
      else breaker.failure(Date.now());
      return calls.unavailable(kind, this.#endpoint, result.failure, this.#id, result.detail, this.#startedMs);
    }
    const { status } = result;
    if (status >= 500 || status === 429) {
      breaker.failure(Date.now());
      return calls.unavailable(kind, this.#endpoint, 'server_error', this.#id, `HTTP ${status}`, this.#startedMs);
    }
    // The backend answered: whatever it said, it is up.
    breaker.success();
    if (status < 200 || status > 299) throw this.#broken('bad_status', `HTTP ${status}`);
    const answer = readAnswer(kind, result.body);
    if (!answer.ok) throw this.#broken('invalid', answer.reason);
    calls.observe(kind, answer.refusal === null ? 'allowed' : 'refused', this.#startedMs);
    return answer.refusal ?? this.#shape(answer);
  }

  #broken(outcome: 'bad_status' | 'invalid', detail: string): ProxyAnswerError {
    this.#endpoint.failures++;
    this.#calls.observe(this.#kind, outcome, this.#startedMs);
    const failure = { kind: this.#kind, endpoint: this.#endpoint.url, outcome, requestId: this.#id, detail } as const;
    this.#calls.observer?.failed?.(failure);
    return new ProxyAnswerError(failure);
  }

  #end(answer: T | Refusal): void {
    this.#calls.ended(this);
    this.#resolve(answer);
  }

  #fail(err: unknown): void {
    this.#calls.ended(this);
    this.#reject(err);
  }
}
