// Integrations/proxy: createHttpProxy, a ServerLogic that forwards hooks and RPC calls to a backend in any language
// over HTTP (docs/backend-proxy.md): signed JSON POSTs on keep-alive connections, one deadline per call, a bound on
// concurrency with a bounded queue, a circuit breaker per endpoint URL. A backend that is down, slow or failing
// costs the client a `backend_unavailable` refusal (retryable), never a stalled operation.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { JsonValue } from '../../messages/index.ts';
import type {
  ConnectContext,
  ConnectDecision,
  LogicCaller,
  PublishContext,
  PublishDecision,
  Refusal,
  RpcContext,
  RpcResult,
  ServerLogic,
  SubscribeContext,
  SubscribeDecision,
} from '../../realtime/index.ts';
import { SIGNATURE_HEADER, signBody } from '../signature.ts';
import { Breaker, type BreakerState } from './breaker.ts';
import { ConcurrencyLimiter } from './limiter.ts';
import {
  checkInteger,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PROXY_TIMEOUT_MS,
  displayUrl,
  endpointUrl,
  type HttpProxyOptions,
  type ProxyFailure,
  type ProxyOutcome,
} from './options.ts';
import { CallDeadline, post, postTarget, type PostTarget } from './post.ts';
import { readAnswer, requestBody, type ProxyRequestKind } from './wire.ts';

/** The header carrying the request id (also the body's `id`), for correlating both sides' logs. */
export const REQUEST_ID_HEADER = 'Switchboard-Request-Id';

/** One endpoint in {@link ProxyHealth}. */
export interface ProxyEndpointHealth {
  /** The URL without user info or query. */
  readonly url: string;
  /** The calls sent to it. */
  readonly kinds: readonly ProxyRequestKind[];
  readonly breaker: BreakerState;
  /** Failures since its last answer (the breaker opens at its threshold). */
  readonly consecutiveFailures: number;
  /** Requests in flight to it now. */
  readonly inFlight: number;
  /** Requests sent since start. */
  readonly requests: number;
  /** Calls that failed since start (refused at once included). */
  readonly failures: number;
}

/** The proxy's state, for `/health`. */
export interface ProxyHealth {
  /** Requests in flight now, over all endpoints. */
  readonly inFlight: number;
  /** Calls waiting for a slot now. */
  readonly queued: number;
  readonly maxConcurrency: number;
  readonly endpoints: readonly ProxyEndpointHealth[];
}

/** The proxy: a ServerLogic with only the hooks that have an endpoint, plus its health and its shutdown. */
export interface HttpProxy extends ServerLogic {
  /** Breakers, in-flight counts and failures per endpoint. */
  health(): ProxyHealth;
  /**
   * Refuses new calls (`backend_unavailable`), aborts the ones in flight and closes the connections.
   * @returns when every call has ended
   */
  close(): Promise<void>;
}

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

/** What the client reads when a call fails fast or the backend fails. */
const UNAVAILABLE_MESSAGES: Readonly<Record<string, string>> = {
  breaker_open: 'The application backend is failing; retry later',
  overloaded: 'The application backend is overloaded; retry later',
  timeout: 'The application backend did not answer in time; retry later',
};
const UNAVAILABLE_MESSAGE = 'The application backend is unavailable; retry later';

interface Endpoint {
  readonly url: string;
  readonly target: PostTarget;
  readonly breaker: Breaker;
  readonly kinds: Set<ProxyRequestKind>;
  inFlight: number;
  requests: number;
  failures: number;
}

/** An allowed call's result: presence info (connect, refresh) or data (publish, rpc), when the backend gave them. */
interface Allowed {
  readonly refusal: null;
  readonly info?: Record<string, unknown>;
  readonly data?: JsonValue;
}

/** Why waiting for a slot ended. */
type SlotWait = 'granted' | 'overloaded' | 'timeout' | 'closed';

/**
 * Builds a ServerLogic that forwards to a backend over HTTP. Pass it to the real-time server (`logic`, or
 * `server.use(proxy)`); close it after the server.
 * @param options endpoints, secret, limits and breaker (see {@link HttpProxyOptions})
 * @returns the proxy; hooks without an endpoint are absent, so the hub skips them
 * @throws TypeError on a URL that is not http(s) or a limit out of range
 * @example
 * ```ts
 * const proxy = createHttpProxy({ publish: 'http://127.0.0.1:3000/publish', secret: process.env.PROXY_SECRET });
 * const server = new RealtimeServer({ port: 8080, logic: proxy });
 * ```
 */
export function createHttpProxy(options: HttpProxyOptions): HttpProxy {
  const timeoutMs = checkInteger(options.timeoutMs ?? DEFAULT_PROXY_TIMEOUT_MS, 'timeoutMs', 1, 600_000);
  const maxResponseBytes = checkInteger(
    options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    'maxResponseBytes',
    1,
    64 * 1024 * 1024,
  );
  const maxConcurrency = checkInteger(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY, 'maxConcurrency', 1, 65_536);
  const maxQueued = checkInteger(options.maxQueued ?? DEFAULT_MAX_QUEUED, 'maxQueued', 0, 1_000_000);
  if (options.breaker?.failureThreshold !== undefined)
    checkInteger(options.breaker.failureThreshold, 'breaker.failureThreshold', 1, 1_000_000);
  if (options.breaker?.resetAfterMs !== undefined)
    checkInteger(options.breaker.resetAfterMs, 'breaker.resetAfterMs', 1, 3_600_000);
  const secret = options.secret ?? null;
  if (secret !== null && (typeof secret !== 'string' || secret === ''))
    throw new TypeError('createHttpProxy: secret must be a non-empty string or null');
  const observer = options.observer ?? null;

  // One keep-alive pool per scheme, as many sockets per backend host as calls may run at once.
  const agentOptions = { keepAlive: true, maxSockets: maxConcurrency, maxFreeSockets: maxConcurrency };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const limiter = new ConcurrencyLimiter(maxConcurrency, maxQueued);
  const endpoints = new Map<string, Endpoint>();

  const endpoint = (url: string | null | undefined, name: string, kind: ProxyRequestKind): Endpoint | null => {
    if (url === null || url === undefined) return null;
    const parsed = endpointUrl(url, name);
    const key = parsed.href;
    let found = endpoints.get(key);
    if (found === undefined) {
      const shown = displayUrl(parsed);
      found = {
        url: shown,
        target: postTarget(parsed, agents),
        breaker: new Breaker(options.breaker, (state) => observer?.breakerChanged?.(shown, state)),
        kinds: new Set(),
        inFlight: 0,
        requests: 0,
        failures: 0,
      };
      endpoints.set(key, found);
    }
    found.kinds.add(kind);
    return found;
  };

  const connectEndpoint = endpoint(options.connect, 'connect', 'connect');
  const refreshEndpoint = endpoint(options.refresh, 'refresh', 'refresh');
  const rpcDefault = endpoint(options.rpc, 'rpc', 'rpc');
  // Longest prefix first, so the first match is the longest.
  const rpcPrefixes = Object.entries(options.rpcPrefixes ?? {})
    .sort(([a], [b]) => b.length - a.length)
    .map(([prefix, url]) => [prefix, endpoint(url, `rpcPrefixes[${JSON.stringify(prefix)}]`, 'rpc')!] as const);
  const subscribeDefault = endpoint(options.subscribe, 'subscribe', 'subscribe');
  const publishDefault = endpoint(options.publish, 'publish', 'publish');
  const subscribeByNamespace = new Map<string, Endpoint | null>();
  const publishByNamespace = new Map<string, Endpoint | null>();
  for (const [ns, urls] of Object.entries(options.namespaces ?? {})) {
    if (urls.subscribe !== undefined)
      subscribeByNamespace.set(ns, endpoint(urls.subscribe, `namespaces.${ns}.subscribe`, 'subscribe'));
    if (urls.publish !== undefined)
      publishByNamespace.set(ns, endpoint(urls.publish, `namespaces.${ns}.publish`, 'publish'));
  }
  const anySubscribe = subscribeDefault !== null || [...subscribeByNamespace.values()].some((e) => e !== null);
  const anyPublish = publishDefault !== null || [...publishByNamespace.values()].some((e) => e !== null);

  let closed = false;
  const deadlines = new Set<CallDeadline>();
  let pending = 0;
  let idle: (() => void) | null = null;

  const observe = (kind: ProxyRequestKind, outcome: ProxyOutcome, startedMs: number): void => {
    observer?.request?.(kind, outcome, performance.now() - startedMs);
  };

  const unavailable = (
    kind: ProxyRequestKind,
    target: Endpoint,
    outcome: ProxyFailure['outcome'],
    requestId: string | null,
    detail: string,
    startedMs: number,
  ): Refusal => {
    target.failures++;
    observe(kind, outcome, startedMs);
    observer?.failed?.({ kind, endpoint: target.url, outcome, requestId, detail });
    return { refuse: { code: 'backend_unavailable', message: UNAVAILABLE_MESSAGES[outcome] ?? UNAVAILABLE_MESSAGE } };
  };

  const waitForSlot = (deadline: CallDeadline): Promise<SlotWait> =>
    new Promise<SlotWait>((resolve) => {
      const waiter = (granted: boolean): void => {
        deadline.onAbort(null);
        resolve(granted ? 'granted' : 'closed');
      };
      if (!limiter.enqueue(waiter)) {
        resolve('overloaded');
        return;
      }
      deadline.onAbort(() => {
        if (limiter.cancel(waiter)) resolve(deadline.reason ?? 'timeout');
      });
    });

  /** One call: breaker, slot, POST, answer. Refusals are returned; a broken contract is thrown. */
  const call = async (
    kind: ProxyRequestKind,
    target: Endpoint,
    caller: LogicCaller,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<Allowed | Refusal> => {
    const startedMs = performance.now();
    if (closed) return unavailable(kind, target, 'closed', null, 'the proxy is closed', startedMs);
    if (!target.breaker.allow(Date.now()))
      return unavailable(kind, target, 'breaker_open', null, 'the breaker is open', startedMs);
    const deadline = new CallDeadline();
    const timer = setTimeout(() => deadline.abort('timeout'), timeoutMs);
    deadlines.add(deadline);
    pending++;
    try {
      if (!limiter.tryAcquire()) {
        const wait = await waitForSlot(deadline);
        if (wait !== 'granted') {
          target.breaker.abandon();
          return unavailable(kind, target, wait, null, `no free slot (${wait})`, startedMs);
        }
      }
      const id = randomUUID();
      let result;
      target.inFlight++;
      target.requests++;
      try {
        const body = requestBody(kind, id, caller, fields);
        const headers: http.OutgoingHttpHeaders = {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          [REQUEST_ID_HEADER]: id,
        };
        if (secret !== null) headers[SIGNATURE_HEADER] = signBody(secret, body);
        result = await post(target.target, headers, body, deadline, maxResponseBytes);
      } finally {
        target.inFlight--;
        limiter.release();
      }
      if (!result.ok) {
        if (result.failure === 'closed') target.breaker.abandon();
        else target.breaker.failure(Date.now());
        return unavailable(kind, target, result.failure, id, result.detail, startedMs);
      }
      const { status } = result;
      if (status >= 500 || status === 429) {
        target.breaker.failure(Date.now());
        return unavailable(kind, target, 'server_error', id, `HTTP ${status}`, startedMs);
      }
      // The backend answered: whatever it said, it is up.
      target.breaker.success();
      const broken = (outcome: 'bad_status' | 'invalid', detail: string): ProxyAnswerError => {
        target.failures++;
        observe(kind, outcome, startedMs);
        const failure = { kind, endpoint: target.url, outcome, requestId: id, detail } as const;
        observer?.failed?.(failure);
        return new ProxyAnswerError(failure);
      };
      if (status < 200 || status > 299) throw broken('bad_status', `HTTP ${status}`);
      const answer = readAnswer(kind, result.body);
      if (!answer.ok) throw broken('invalid', answer.reason);
      observe(kind, answer.refusal === null ? 'allowed' : 'refused', startedMs);
      return answer.refusal ?? answer;
    } finally {
      clearTimeout(timer);
      deadlines.delete(deadline);
      if (--pending === 0 && idle !== null) idle();
    }
  };

  const isRefusal = (value: Allowed | Refusal): value is Refusal => 'refuse' in value;

  const connectHook =
    (kind: 'connect' | 'refresh', target: Endpoint) =>
    async (context: ConnectContext): Promise<ConnectDecision> => {
      const answer = await call(kind, target, context, { expiresAt: context.expiresAt });
      if (isRefusal(answer)) return answer;
      return answer.info === undefined ? undefined : { info: answer.info };
    };

  const logic: { -readonly [K in keyof HttpProxy]: HttpProxy[K] } = {
    health: () => {
      const nowMs = Date.now();
      return {
        inFlight: limiter.active,
        queued: limiter.queued,
        maxConcurrency,
        endpoints: [...endpoints.values()].map((e) => ({
          url: e.url,
          kinds: [...e.kinds],
          breaker: e.breaker.state(nowMs),
          consecutiveFailures: e.breaker.consecutiveFailures,
          inFlight: e.inFlight,
          requests: e.requests,
          failures: e.failures,
        })),
      };
    },
    close: async () => {
      closed = true;
      limiter.cancelAll();
      for (const deadline of deadlines) deadline.abort('closed');
      if (pending > 0) await new Promise<void>((resolve) => (idle = resolve));
      agents.http.destroy();
      agents.https.destroy();
    },
  };
  if (connectEndpoint !== null) logic.onConnect = connectHook('connect', connectEndpoint);
  if (refreshEndpoint !== null) logic.onRefresh = connectHook('refresh', refreshEndpoint);
  if (anySubscribe) {
    logic.onSubscribe = (context: SubscribeContext): SubscribeDecision | Promise<SubscribeDecision> => {
      const target = subscribeByNamespace.has(context.namespace)
        ? subscribeByNamespace.get(context.namespace)!
        : subscribeDefault;
      if (target === null) return undefined;
      return call('subscribe', target, context, { channel: context.channel, namespace: context.namespace }).then(
        (answer) => (isRefusal(answer) ? answer : undefined),
      );
    };
  }
  if (anyPublish) {
    logic.onPublish = (context: PublishContext): PublishDecision | Promise<PublishDecision> => {
      const target = publishByNamespace.has(context.namespace)
        ? publishByNamespace.get(context.namespace)!
        : publishDefault;
      if (target === null) return undefined;
      return call('publish', target, context, {
        channel: context.channel,
        namespace: context.namespace,
        data: context.data,
      }).then((answer) => (isRefusal(answer) ? answer : answer.data === undefined ? undefined : { data: answer.data }));
    };
  }
  if (rpcDefault !== null || rpcPrefixes.length > 0) {
    logic.rpc = (context: RpcContext): RpcResult | null | Promise<RpcResult | null> => {
      let target = rpcDefault;
      for (const [prefix, prefixed] of rpcPrefixes) {
        if (context.method.startsWith(prefix)) {
          target = prefixed;
          break;
        }
      }
      if (target === null) return null;
      return call('rpc', target, context, { method: context.method, data: context.data }).then((answer) =>
        isRefusal(answer) ? answer : answer.data === undefined ? {} : { data: answer.data },
      );
    };
  }
  return logic;
}
