// Integrations/proxy: the options of createHttpProxy (endpoints, secret, limits, breaker), their defaults and checks.
import type { BreakerOptions, BreakerState } from './breaker.ts';
import type { ProxyRequestKind } from './wire.ts';

/** The subscribe and publish endpoints of one namespace; null turns a global endpoint off for this namespace. */
export interface NamespaceEndpoints {
  readonly subscribe?: string | null | undefined;
  readonly publish?: string | null | undefined;
}

/**
 * How a proxied call ended, as counted in metrics:
 * - `allowed`, `refused`: the backend answered by the contract (a refusal is the backend's decision, not a failure);
 * - `breaker_open`: refused at once, the endpoint's breaker is open (`backend_unavailable`);
 * - `overloaded`: refused at once, the concurrency bound and its queue are full (`backend_unavailable`);
 * - `timeout`, `unreachable`, `server_error` (5xx, 429), `too_large`: the backend failed (`backend_unavailable`,
 *   counted by the breaker);
 * - `bad_status` (another non-2xx), `invalid` (not JSON, wrong shape): the exchange broke the contract (the client
 *   gets `internal`, not counted by the breaker);
 * - `closed`: the proxy was closing (`backend_unavailable`).
 */
export type ProxyOutcome =
  | 'allowed'
  | 'refused'
  | 'breaker_open'
  | 'overloaded'
  | 'timeout'
  | 'unreachable'
  | 'server_error'
  | 'too_large'
  | 'bad_status'
  | 'invalid'
  | 'closed';

/** Every {@link ProxyOutcome}, for metric labels. */
export const PROXY_OUTCOMES: readonly ProxyOutcome[] = [
  'allowed',
  'refused',
  'breaker_open',
  'overloaded',
  'timeout',
  'unreachable',
  'server_error',
  'too_large',
  'bad_status',
  'invalid',
  'closed',
];

/** A failed call, for the log: never the body (it may carry user data), always the request id. */
export interface ProxyFailure {
  readonly kind: ProxyRequestKind;
  /** The endpoint URL without user info or query. */
  readonly endpoint: string;
  readonly outcome: Exclude<ProxyOutcome, 'allowed' | 'refused'>;
  /** The `Switchboard-Request-Id` sent (the backend's logs have it too); null when nothing was sent. */
  readonly requestId: string | null;
  /** A short reason: `HTTP 503`, `ECONNREFUSED`, `the answer is not JSON`. */
  readonly detail: string;
}

/** Hooks for metrics and logs (src/http implements them); every member optional. */
export interface ProxyObserver {
  /** Every call, once, with how it ended and its duration in ms (queueing included). */
  request?(kind: ProxyRequestKind, outcome: ProxyOutcome, durationMs: number): void;
  /** Every call that did not end `allowed` or `refused`. */
  failed?(failure: ProxyFailure): void;
  /** A breaker changed state. */
  breakerChanged?(endpoint: string, state: BreakerState): void;
}

/** Options of `createHttpProxy`. Every URL is `http:` or `https:`; a hook without one is not proxied. */
export interface HttpProxyOptions {
  /** Asked after a client's token is verified (`onConnect`). @default null */
  readonly connect?: string | null;
  /** Asked after a refreshed token is verified (`onRefresh`). @default null */
  readonly refresh?: string | null;
  /** Asked for every RPC method (`rpc`) no {@link HttpProxyOptions.rpcPrefixes} entry claims. @default null */
  readonly rpc?: string | null;
  /** RPC methods by name prefix (`{ "chat.": url }`); the longest matching prefix wins. @default {} */
  readonly rpcPrefixes?: Readonly<Record<string, string>>;
  /** Asked for subscriptions in every namespace without its own entry (`onSubscribe`). @default null */
  readonly subscribe?: string | null;
  /** Asked for publications in every namespace without its own entry (`onPublish`). @default null */
  readonly publish?: string | null;
  /** Per-namespace endpoints ('' is the default namespace); a field left out falls back to the global one. @default {} */
  readonly namespaces?: Readonly<Record<string, NamespaceEndpoints>>;
  /**
   * Shared secret: every request carries `Switchboard-Signature` (HMAC-SHA256 of `t.body`) for the backend to check.
   * @default null (unsigned: only for a backend reachable by nothing else)
   */
  readonly secret?: string | null;
  /**
   * Deadline of one call, queueing included, in ms; past it the client gets `backend_unavailable`.
   * @default 3000: the hub's own logic deadline is 3 s, and a backend slower than that is unusable interactively
   */
  readonly timeoutMs?: number;
  /**
   * Largest answer read, in bytes; a larger one aborts the request (`backend_unavailable`).
   * @default 65536: an answer carries a decision and at most a publication's data (64 KiB by default)
   */
  readonly maxResponseBytes?: number;
  /**
   * Requests in flight at once, over all endpoints (also the keep-alive connections kept per backend host).
   * @default 64: enough to keep a backend busy over keep-alive connections, few enough not to swamp it
   */
  readonly maxConcurrency?: number;
  /**
   * Calls that may wait for a free slot; beyond, a call is refused at once with `backend_unavailable`.
   * @default 1024: about a timeout's worth of calls at a few hundred a second; beyond that the wait would time out anyway
   */
  readonly maxQueued?: number;
  /**
   * HTTP/1.1 pipelining for the kinds in {@link HttpProxyOptions.pipelinedKinds}: how many of their requests may be
   * in flight on one keep-alive connection (1: none, one request at a time per connection). A pipelined request is
   * written without waiting for the answers before it on its connection, which saves the backend and the proxy
   * connections and, on a busy proxy, reads (answers arrive together) and undici's extra event-loop turn before
   * reusing a connection. The cost: a slow answer holds up those behind it on its connection (up to their
   * deadline), and a request on a connection that dies may reach the backend twice (the same request id).
   * @default 8: enough to carry a busy proxy's calls on a few connections, few enough to bound what one slow answer holds up
   */
  readonly pipelining?: number;
  /**
   * The kinds that are pipelined (see {@link HttpProxyOptions.pipelining}): those the backend may receive twice.
   * @default ['connect', 'refresh', 'subscribe']: decisions that by the contract change nothing on the backend.
   *   `publish` and `rpc` may have side effects (a backend that stores publications, an RPC that acts); add
   *   `publish` when the backend's publish endpoint is idempotent (checks only, or deduplicates by request id).
   */
  readonly pipelinedKinds?: readonly ProxyRequestKind[];
  /** The circuit breaker of each endpoint URL. @default { failureThreshold: 5, resetAfterMs: 5000 } */
  readonly breaker?: BreakerOptions;
  /** Metrics and logs. @default null */
  readonly observer?: ProxyObserver | null;
}

/** Default of {@link HttpProxyOptions.timeoutMs}. */
export const DEFAULT_PROXY_TIMEOUT_MS = 3000;
/** Default of {@link HttpProxyOptions.maxResponseBytes}. */
export const DEFAULT_MAX_RESPONSE_BYTES = 65_536;
/** Default of {@link HttpProxyOptions.maxConcurrency}. */
export const DEFAULT_MAX_CONCURRENCY = 64;
/** Default of {@link HttpProxyOptions.maxQueued}. */
export const DEFAULT_MAX_QUEUED = 1024;
/** Default of {@link HttpProxyOptions.pipelining}. */
export const DEFAULT_PIPELINING = 8;
/** Default of {@link HttpProxyOptions.pipelinedKinds}. */
export const DEFAULT_PIPELINED_KINDS: readonly ProxyRequestKind[] = ['connect', 'refresh', 'subscribe'];

/**
 * Parses an endpoint URL.
 * @param url the option's value
 * @param name the option's name, for the error
 * @throws TypeError when it is not an absolute http: or https: URL
 */
export function endpointUrl(url: string, name: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`createHttpProxy: ${name} is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new TypeError(`createHttpProxy: ${name} must be an http: or https: URL, not ${parsed.protocol}`);
  return parsed;
}

/**
 * The endpoint URL as shown in health, metrics and logs: no user info, no query (either may hold a credential).
 * @param url a parsed endpoint URL
 */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Checks a numeric option.
 * @throws TypeError when it is not an integer within [min, max]
 */
export function checkInteger(value: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`createHttpProxy: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return value;
}
