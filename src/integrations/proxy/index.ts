// Integrations/proxy: the HTTP proxy to a backend in any language (docs/backend-proxy.md).
export { BREAKER_STATE_VALUE, type BreakerOptions, type BreakerState } from './breaker.ts';
export {
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_PIPELINED_KINDS,
  DEFAULT_PIPELINING,
  DEFAULT_PROXY_TIMEOUT_MS,
  PROXY_OUTCOMES,
  type HttpProxyOptions,
  type NamespaceEndpoints,
  type ProxyFailure,
  type ProxyObserver,
  type ProxyOutcome,
} from './options.ts';
export {
  createHttpProxy,
  ProxyAnswerError,
  REQUEST_ID_HEADER,
  type HttpProxy,
  type ProxyEndpointHealth,
  type ProxyHealth,
} from './proxy.ts';
export { PROXY_REQUEST_KINDS, type ProxyRequestKind } from './wire.ts';
