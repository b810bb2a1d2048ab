// HTTP: the only module other layers import (the server with its endpoints, metrics and logs).
export {
  createSwitchboardServer,
  type HttpPaths,
  type SwitchboardServer,
  type SwitchboardServerOptions,
} from './server.ts';
export type { StatusContributor } from './probes.ts';
export type { SseSubscribeOptions } from './sse-subscribe.ts';
export { HttpTransportEndpoints, HTTP_TRANSPORT_PATHS, MAX_SEND_MESSAGES } from './transports/endpoints.ts';
export type { HttpTransportOptions } from './transports/options.ts';
export { ApiKeys, handlePublish, readBody, sendJson, type JsonAnswer } from './api.ts';
export { DEFAULT_MAX_BATCH_ITEMS, type BatchItemResult } from './batch-publish.ts';
export { createObserver } from './observer.ts';
export { createProxyObserver } from './proxy-observer.ts';
export {
  DEFAULT_WEB_ROOT,
  loadStaticSite,
  PAGE_CSP,
  SECURITY_HEADERS,
  StaticSite,
  type BundleSource,
} from './static.ts';
export { createMetrics, Metrics, type MetricsOptions } from './metrics.ts';
export { MESSAGE_TYPES, type BrokerOperation, type RateLimitKind } from './metric-labels.ts';
export {
  createLogger,
  redactUrl,
  REDACT_PATHS,
  SECRET_QUERY_PARAMS,
  serializeRequest,
  type LogLevel,
  type Logger,
  type LoggerFactoryOptions,
} from './logger.ts';
