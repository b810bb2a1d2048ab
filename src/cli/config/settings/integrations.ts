// CLI config, settings table: the HTTP API's keys and signatures, logs, the demo page, and server logic: in-process
// modules, webhooks, the backend proxy.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN, STRING, NULLABLE_STRING, ENUM, LIST, BOOLEAN_OR_AUTO } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const INTEGRATION_SETTINGS: readonly Setting[] = [
  s(
    'apiKeys',
    'API_KEYS',
    LIST,
    'Keys accepted by POST /api/publish and /api/disconnect (`Authorization: Bearer <key>`), at least 16 characters each.',
  ),
  s('log.level', 'LOG__LEVEL', ENUM, 'Least severe level written to the log (silent: nothing).', {
    flag: { name: '--log-level', arg: '<level>', help: 'fatal, error, warn, info, debug, trace or silent' },
  }),
  s('log.pretty', 'LOG__PRETTY', BOOLEAN_OR_AUTO, 'Human-readable logs; auto: when stdout is a terminal.'),
  s('web.enabled', 'WEB__ENABLED', BOOLEAN, 'Serve the demo chat page at `/`.'),
  s(
    'logic',
    'LOGIC',
    NULLABLE_STRING,
    'ES module (path from the working directory) whose default export is server logic: hooks and/or an `rpc` map of methods (docs/server-logic.md).',
    { flag: { name: '--logic', arg: '<module>', help: 'ES module exporting server logic (hooks, rpc methods)' } },
  ),
  s(
    'logicTimeoutMs',
    'LOGIC_TIMEOUT_MS',
    INTEGER,
    'Deadline of each call to the server logic (a hook, an RPC method); past it the client gets `internal`.',
  ),
  s(
    'apiSecret',
    'API_SECRET',
    NULLABLE_STRING,
    'Secret of signed /api/* requests (`Switchboard-Signature` over `t.METHOD.target.body`, docs/webhooks.md), accepted instead of an API key; at least 16 characters.',
  ),
  s(
    'webhooks',
    'WEBHOOKS',
    LIST,
    'Webhook endpoints, each `{url, secret or secretEnv, events, maxBatchSize?, maxWaitMs?, maxQueuedEvents?, maxQueuedBytes?, timeoutMs?, maxAttempts?, initialBackoffMs?, maxBackoffMs?}` (docs/webhooks.md); from the environment as a JSON array.',
  ),
  s('proxy.connect', 'PROXY__CONNECT', NULLABLE_STRING, 'Backend URL asked at every connect (docs/backend-proxy.md).'),
  s('proxy.refresh', 'PROXY__REFRESH', NULLABLE_STRING, 'Backend URL asked at every token refresh.'),
  s('proxy.rpc', 'PROXY__RPC', NULLABLE_STRING, 'Backend URL of RPC methods no proxy.rpcPrefixes entry claims.'),
  s(
    'proxy.rpcPrefixes.<prefix>',
    'PROXY__RPC_PREFIXES__<PREFIX>',
    STRING,
    'Backend URL of the RPC methods starting with this prefix (`chat.`); the longest matching prefix wins.',
  ),
  s(
    'proxy.subscribe',
    'PROXY__SUBSCRIBE',
    NULLABLE_STRING,
    'Backend URL asked at every subscribe, in every namespace.',
  ),
  s('proxy.publish', 'PROXY__PUBLISH', NULLABLE_STRING, 'Backend URL asked at every client publish and send.'),
  s(
    'proxy.namespaces.<namespace>.subscribe',
    'PROXY__NAMESPACES__<NAMESPACE>__SUBSCRIBE',
    NULLABLE_STRING,
    "The namespace's own subscribe URL instead of proxy.subscribe; null: not proxied.",
    { defaultText: 'unset (proxy.subscribe)' },
  ),
  s(
    'proxy.namespaces.<namespace>.publish',
    'PROXY__NAMESPACES__<NAMESPACE>__PUBLISH',
    NULLABLE_STRING,
    "The namespace's own publish URL instead of proxy.publish; null: not proxied.",
    { defaultText: 'unset (proxy.publish)' },
  ),
  s(
    'proxy.secret',
    'PROXY__SECRET',
    NULLABLE_STRING,
    'Shared secret signing every proxy request (Switchboard-Signature); null falls back to SWITCHBOARD_PROXY_SECRET, else unsigned.',
  ),
  s(
    'proxy.timeoutMs',
    'PROXY__TIMEOUT_MS',
    INTEGER,
    'Deadline of one proxy call, queueing included, in ms (the client then gets backend_unavailable); logicTimeoutMs is raised to at least this + 500.',
  ),
  s(
    'proxy.maxResponseBytes',
    'PROXY__MAX_RESPONSE_BYTES',
    INTEGER,
    'Largest backend answer read, in bytes; a larger one fails the call.',
  ),
  s(
    'proxy.maxConcurrency',
    'PROXY__MAX_CONCURRENCY',
    INTEGER,
    'Proxy requests in flight at once (and keep-alive connections per backend host).',
  ),
  s(
    'proxy.maxQueued',
    'PROXY__MAX_QUEUED',
    INTEGER,
    'Proxy calls waiting for a free slot; beyond, a call is refused at once with backend_unavailable.',
  ),
  s(
    'proxy.pipelining',
    'PROXY__PIPELINING',
    INTEGER,
    'Requests of the proxy.pipelinedKinds in flight per keep-alive connection (HTTP/1.1 pipelining); 1 turns it off.',
  ),
  s(
    'proxy.pipelinedKinds',
    'PROXY__PIPELINED_KINDS',
    LIST,
    'Kinds of proxy request that are pipelined (connect, refresh, subscribe, publish, rpc): only those the backend may receive twice (a request on a connection that dies is sent again).',
  ),
  s(
    'proxy.breaker.failureThreshold',
    'PROXY__BREAKER__FAILURE_THRESHOLD',
    INTEGER,
    'Consecutive failures of an endpoint (unreachable, timeout, 5xx, too large) that open its circuit breaker.',
  ),
  s(
    'proxy.breaker.resetAfterMs',
    'PROXY__BREAKER__RESET_AFTER_MS',
    INTEGER,
    'How long an open breaker refuses calls before one probe goes through, in ms.',
  ),
];
