// Integrations/proxy: createHttpProxy, a ServerLogic that forwards hooks and RPC calls to a backend in any language
// over HTTP (docs/backend-proxy.md): signed JSON POSTs on keep-alive connections, one deadline per call, a bound on
// concurrency with a bounded queue, a circuit breaker per endpoint URL. A backend that is down, slow or failing
// costs the client a `backend_unavailable` refusal (retryable), never a stalled operation.
import type {
  ConnectContext,
  ConnectDecision,
  PublishContext,
  PublishDecision,
  RpcContext,
  RpcResult,
  ServerLogic,
  SubscribeContext,
  SubscribeDecision,
} from '../../realtime/index.ts';
import type { Dispatcher } from 'undici';
import { Breaker, type BreakerState } from './breaker.ts';
import { type AllowedShape, type Endpoint, ProxyCalls } from './call.ts';
import { ConcurrencyLimiter } from './limiter.ts';
import {
  checkInteger,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PIPELINED_KINDS,
  DEFAULT_PIPELINING,
  DEFAULT_PROXY_TIMEOUT_MS,
  displayUrl,
  endpointUrl,
  type HttpProxyOptions,
} from './options.ts';
import { postPool, postTarget } from './post.ts';
import { PROXY_REQUEST_KINDS, type ProxyRequestKind } from './wire.ts';

export { ProxyAnswerError, REQUEST_ID_HEADER } from './call.ts';

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

/** Each hook's answer from an allowed call: module-level, so no closure is made per call. */
const subscribeAllowed: AllowedShape<SubscribeDecision> = () => undefined;
const publishAllowed: AllowedShape<PublishDecision> = (answer) =>
  answer.data === undefined ? undefined : { data: answer.data };
const rpcAllowed: AllowedShape<RpcResult> = (answer) => (answer.data === undefined ? {} : { data: answer.data });
const connectAllowed: AllowedShape<ConnectDecision> = (answer) =>
  answer.info === undefined ? undefined : { info: answer.info };

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

  const pipelining = checkInteger(options.pipelining ?? DEFAULT_PIPELINING, 'pipelining', 1, 1024);
  const pipelinedKinds = new Set<ProxyRequestKind>(options.pipelinedKinds ?? DEFAULT_PIPELINED_KINDS);
  for (const kind of pipelinedKinds) {
    if (!PROXY_REQUEST_KINDS.includes(kind))
      throw new TypeError(`createHttpProxy: pipelinedKinds has ${JSON.stringify(kind)}, not a request kind`);
  }

  // Keep-alive pools per backend origin, as many sockets as calls may run at once: one without pipelining, and
  // one pipelining `pipelining` requests per socket for the kinds in `pipelinedKinds` (when both are used).
  const pools = new Map<string, Dispatcher>();
  const poolOf = (url: URL, depth: number): Dispatcher => {
    const key = `${depth} ${url.origin}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      pool = postPool(url.origin, maxConcurrency, depth);
      pools.set(key, pool);
    }
    return pool;
  };
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
        target: postTarget(parsed, poolOf(parsed, 1)),
        pipelinedTarget: pipelining > 1 ? postTarget(parsed, poolOf(parsed, pipelining)) : null,
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

  const calls = new ProxyCalls(limiter, timeoutMs, secret, maxResponseBytes, observer, pipelinedKinds);

  const connectHook =
    (kind: 'connect' | 'refresh', target: Endpoint) =>
    (context: ConnectContext): ConnectDecision | Promise<ConnectDecision> =>
      calls.run(kind, target, context, { expiresAt: context.expiresAt }, connectAllowed);

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
      await calls.abortAll();
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
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
      const fields = { channel: context.channel, namespace: context.namespace };
      return calls.run('subscribe', target, context, fields, subscribeAllowed);
    };
  }
  if (anyPublish) {
    logic.onPublish = (context: PublishContext): PublishDecision | Promise<PublishDecision> => {
      const target = publishByNamespace.has(context.namespace)
        ? publishByNamespace.get(context.namespace)!
        : publishDefault;
      if (target === null) return undefined;
      const fields = { channel: context.channel, namespace: context.namespace, data: context.data };
      return calls.run('publish', target, context, fields, publishAllowed);
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
      return calls.run('rpc', target, context, { method: context.method, data: context.data }, rpcAllowed);
    };
  }
  return logic;
}
