// CLI config: the explicit table of settings (config-file path, environment variable, flag, kind, description).
// The loader reads env and flags through it, docs/configuration.md is generated from it, and
// test/cli/config-settings.test.ts checks that it and the zod schema (schema.ts) name the same leaves.
// Over 400 lines only because it is one row per setting (100 rows): one table, not several ideas.
import { DEFAULT_ROLE_PERMISSIONS } from '../../realtime/index.ts';

/** How a text value from the environment or a flag becomes the setting's value. */
export const SETTING_KINDS = {
  /** A number: `9000`. */
  INTEGER: 'integer',
  /** `true`/`1` or `false`/`0`. */
  BOOLEAN: 'boolean',
  /** The text as given. */
  STRING: 'string',
  /** The text as given; `null` for null. */
  NULLABLE_STRING: 'string or null',
  /** One of the schema's listed values. */
  ENUM: 'enum',
  /** Comma-separated (`a,b`) or a JSON array (`["a","b"]`). */
  LIST: 'list',
  /** `true`, `false` or `auto`. */
  BOOLEAN_OR_AUTO: 'true, false or auto',
  /** A number (`10`) or `auto`. */
  INTEGER_OR_AUTO: 'integer or auto',
  /** A JSON object (`{"type":"object"}`), or `null`. */
  JSON_OBJECT: 'JSON object or null',
} as const;
export type SettingKind = (typeof SETTING_KINDS)[keyof typeof SETTING_KINDS];

/** A command-line flag that sets one setting (every setting can also be set with `--set path=value`). */
export interface SettingFlag {
  /** `--port` */
  readonly name: string;
  /** Placeholder shown in the help: `<n>`. */
  readonly arg: string;
  /** One line for `serve --help`. */
  readonly help: string;
}

/** One setting. Paths and variables may hold a placeholder (`<namespace>`, `<NAMESPACE>`) standing for a record key. */
export interface Setting {
  /** Dotted path in the config file: `namespaces.<namespace>.historySize`. */
  readonly path: string;
  /** Environment variable: `SWITCHBOARD_NAMESPACES__<NAMESPACE>__HISTORY_SIZE` (`__` between levels). */
  readonly env: string;
  readonly kind: SettingKind;
  readonly description: string;
  readonly flag?: SettingFlag;
  /** Shown instead of the schema's default when that is not a plain value. */
  readonly defaultText?: string;
}

/** Prefix of every setting's environment variable. */
export const ENV_PREFIX = 'SWITCHBOARD_';

/**
 * `SWITCHBOARD_*` variables that are not settings: `serve` and `token` ignore them instead of reporting an
 * unknown setting. Any other `SWITCHBOARD_*` variable must name a setting.
 */
export const NON_SETTING_VARIABLES = {
  SWITCHBOARD_CONFIG: 'path of the JSON config file (like --config; the flag wins)',
  SWITCHBOARD_USE_DIST:
    'bin/switchboard.js: 1 runs the compiled dist/ instead of the TypeScript source (Dockerfile, systemd unit, benchmarks)',
  SWITCHBOARD_TOKEN:
    "a client-side token: the default of `switchboard connect` and `switchboard bench` --token, and of your own scripts (the README's Node example); the server ignores it",
  SWITCHBOARD_STREAM_WRITES: 'engine diagnostic: 1 turns direct socket writes off',
  SWITCHBOARD_URL:
    'the server the moderation commands (`ban`, `unban`, `bans`) call (like --url); the server ignores it',
  SWITCHBOARD_API_KEY: 'the API key of the moderation commands (like --api-key); the server ignores it',
  SWITCHBOARD_TEST_IMPL: 'test suite: ws runs the hostile-input cases against the ws package for comparison',
  SWITCHBOARD_PROXY_SECRET:
    'the backend proxy secret when proxy.secret is unset: one variable that serve and the example backends (examples/proxy-backend) share',
} as const;

const { INTEGER, BOOLEAN, STRING, NULLABLE_STRING, ENUM, LIST, BOOLEAN_OR_AUTO, INTEGER_OR_AUTO, JSON_OBJECT } =
  SETTING_KINDS;

function s(
  path: string,
  env: string,
  kind: SettingKind,
  description: string,
  extra: Partial<Pick<Setting, 'flag' | 'defaultText'>> = {},
): Setting {
  return { path, env: `${ENV_PREFIX}${env}`, kind, description, ...extra };
}

/** Every setting, in the order of the schema. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  s(
    'mode',
    'MODE',
    ENUM,
    '`production` refuses unsafe settings (plain ws:// without allowPlaintext); `development` is what `--dev` starts from.',
  ),
  s('host', 'HOST', STRING, 'Listen address; loopback unless told otherwise (containers set 0.0.0.0).', {
    flag: { name: '--host', arg: '<addr>', help: 'listen address (default 127.0.0.1)' },
  }),
  s('port', 'PORT', INTEGER, 'Listen port; 0 picks a free one (the "listening on" line says which).', {
    flag: { name: '--port', arg: '<n>', help: 'listen port (default 8080; 0 picks a free one)' },
  }),
  s('paths.ws', 'PATHS__WS', STRING, 'Path of the WebSocket endpoint.'),
  s('paths.publish', 'PATHS__PUBLISH', STRING, 'Path of POST /api/publish.'),
  s('paths.disconnect', 'PATHS__DISCONNECT', STRING, 'Path of POST /api/disconnect.'),
  s('paths.stats', 'PATHS__STATS', STRING, 'Path of GET /api/stats.'),
  s('paths.health', 'PATHS__HEALTH', STRING, 'Path of the liveness endpoint.'),
  s('paths.ready', 'PATHS__READY', STRING, 'Path of the readiness endpoint.'),
  s('paths.metrics', 'PATHS__METRICS', STRING, 'Path of the Prometheus metrics.'),
  s(
    'tls.certFile',
    'TLS__CERT_FILE',
    STRING,
    'PEM certificate chain; with tls.keyFile the server serves https:// and wss:// itself (SIGHUP reloads both).',
    { defaultText: 'unset (tls is null: no TLS)' },
  ),
  s('tls.keyFile', 'TLS__KEY_FILE', STRING, 'PEM private key matching tls.certFile.', {
    defaultText: 'unset (tls is null: no TLS)',
  }),
  s(
    'allowPlaintext',
    'ALLOW_PLAINTEXT',
    BOOLEAN,
    'Allow a plaintext listener in production, for a TLS-terminating proxy in front (AU-14).',
  ),
  s(
    'auth.hs256Secret',
    'AUTH__HS256_SECRET',
    STRING,
    'HS256 secret, at least 32 bytes (RFC 7518 §3.2). Prefer the environment or a file to a flag.',
  ),
  s(
    'auth.hs256SecretFile',
    'AUTH__HS256_SECRET_FILE',
    STRING,
    'File holding the HS256 secret (surrounding whitespace is trimmed); not together with auth.hs256Secret.',
  ),
  s(
    'auth.publicKeyFile',
    'AUTH__PUBLIC_KEY_FILE',
    STRING,
    'PEM public key verifying RS256 (RSA) or ES256 (P-256) tokens.',
    { flag: { name: '--public-key-file', arg: '<f>', help: 'PEM public key for RS256/ES256 tokens' } },
  ),
  s('auth.jwksFile', 'AUTH__JWKS_FILE', STRING, 'JWKS file verifying RS256/ES256 tokens by `kid`.', {
    flag: { name: '--jwks-file', arg: '<f>', help: 'JWKS file for RS256/ES256 tokens' },
  }),
  s(
    'auth.privateKeyFile',
    'AUTH__PRIVATE_KEY_FILE',
    STRING,
    'PEM private key used only by `switchboard token` to sign RS256/ES256 tokens (`token --private-key-file`).',
  ),
  s('auth.audience', 'AUTH__AUDIENCE', STRING, 'Required `aud` claim of tokens.'),
  s('auth.issuer', 'AUTH__ISSUER', STRING, 'Required `iss` claim of tokens.'),
  s('auth.clockToleranceMs', 'AUTH__CLOCK_TOLERANCE_MS', INTEGER, 'Clock skew accepted on `exp` and `nbf`, in ms.'),
  s('auth.maxTokenBytes', 'AUTH__MAX_TOKEN_BYTES', INTEGER, 'Longest token accepted, in bytes.'),
  s('auth.rolesClaim', 'AUTH__ROLES_CLAIM', STRING, 'Claim holding the list of roles.'),
  s(
    'auth.userIdClaim',
    'AUTH__USER_ID_CLAIM',
    STRING,
    'Claim holding the user id (a non-empty string of A-Z a-z 0-9 _ - . @ = + , ~ !); a token without it is refused.',
  ),
  s(
    'auth.requireExp',
    'AUTH__REQUIRE_EXP',
    BOOLEAN,
    'Refuse tokens without `exp` (a token that never expires cannot be revoked by time).',
  ),
  s('auth.infoClaim', 'AUTH__INFO_CLAIM', NULLABLE_STRING, 'Claim holding the presence info object; null ignores it.'),
  s('auth.cookieName', 'AUTH__COOKIE_NAME', NULLABLE_STRING, 'Cookie carrying the token; null disables cookie auth.'),
  s('auth.allowQueryToken', 'AUTH__ALLOW_QUERY_TOKEN', BOOLEAN, 'Accept a token in `?token=` on the upgrade URL.'),
  s(
    'auth.connectTimeoutMs',
    'AUTH__CONNECT_TIMEOUT_MS',
    INTEGER,
    'Deadline for a first `connect` message when the upgrade carried no credential, in ms.',
  ),
  s(
    'auth.anonymous.enabled',
    'AUTH__ANONYMOUS__ENABLED',
    BOOLEAN,
    'Let connections without a token in, with auth.anonymous.roles.',
  ),
  s('auth.anonymous.roles', 'AUTH__ANONYMOUS__ROLES', LIST, 'Roles of anonymous connections.'),
  s(
    'trustedProxies',
    'TRUSTED_PROXIES',
    LIST,
    'Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client, for per-address limits and logs; by default no header is believed.',
    {
      flag: { name: '--trust-proxy', arg: '<cidr>', help: 'proxy whose X-Forwarded-For names the client (repeatable)' },
    },
  ),
  s(
    'denyAddresses',
    'DENY_ADDRESSES',
    LIST,
    'Client addresses or CIDR ranges refused with 403 at `/ws` and the pages (resolved through `trustedProxies`; never applied to `/api/*`).',
    { flag: { name: '--deny', arg: '<cidr>', help: 'refuse this client address or range with 403 (repeatable)' } },
  ),
  s(
    'origins',
    'ORIGINS',
    LIST,
    'Browser origins allowed to connect, exact match (AU-01). In development without any, the page origins of the port.',
    { flag: { name: '--origin', arg: '<origin>', help: 'allowed browser origin (repeatable)' } },
  ),
  s(
    'roles.<role>',
    'ROLES__<ROLE>',
    LIST,
    'Operations the role grants (subscribe, publish, history, presence, typing, send, delete, rpc, or * for all). Added to the default roles; `[]` makes a role grant nothing.',
    {
      defaultText: Object.entries(DEFAULT_ROLE_PERMISSIONS)
        .map(([role, operations]) => `${role}: ${operations.join(', ')}`)
        .join('; '),
    },
  ),
  s(
    'authenticatedRoles',
    'AUTHENTICATED_ROLES',
    LIST,
    'Roles every authenticated identity holds besides those of its token.',
  ),
  s(
    'limits.maxMessageSize',
    'LIMITS__MAX_MESSAGE_SIZE',
    INTEGER,
    'Largest message a client may send, in bytes: larger ones get a `too_large` reply, frames over 4x this close with 1009.',
  ),
  s('limits.maxConnections', 'LIMITS__MAX_CONNECTIONS', INTEGER, 'Connections of this node; new ones get 503 beyond.'),
  s(
    'limits.maxConnectionsPerIp',
    'LIMITS__MAX_CONNECTIONS_PER_IP',
    INTEGER,
    'Open connections per client address (503 beyond).',
  ),
  s(
    'limits.maxConnectionsPerUser',
    'LIMITS__MAX_CONNECTIONS_PER_USER',
    INTEGER,
    'Open connections per authenticated user.',
  ),
  s(
    'limits.maxSubscriptionsPerConnection',
    'LIMITS__MAX_SUBSCRIPTIONS_PER_CONNECTION',
    INTEGER,
    'Channels one connection may subscribe to.',
  ),
  s(
    'limits.messagesPerSecond',
    'LIMITS__MESSAGES_PER_SECOND',
    INTEGER,
    'Sustained messages per second per connection (token bucket).',
  ),
  s('limits.messagesBurst', 'LIMITS__MESSAGES_BURST', INTEGER, 'Message burst per connection.'),
  s('limits.bytesPerSecond', 'LIMITS__BYTES_PER_SECOND', INTEGER, 'Sustained inbound bytes per second per connection.'),
  s('limits.bytesBurst', 'LIMITS__BYTES_BURST', INTEGER, 'Inbound byte burst per connection.'),
  s(
    'limits.connectionsPerMinutePerIp',
    'LIMITS__CONNECTIONS_PER_MINUTE_PER_IP',
    INTEGER,
    'New connections per minute per client address (429 beyond).',
  ),
  s(
    'limits.maxStrikes',
    'LIMITS__MAX_STRIKES',
    INTEGER,
    'Malformed messages and rate-limit trips within limits.strikeWindowMs that close the connection (4500 bad request; 4008 when the strikes are rate-limit trips).',
  ),
  s('limits.strikeWindowMs', 'LIMITS__STRIKE_WINDOW_MS', INTEGER, 'Window in which strikes are counted, in ms.'),
  s(
    'limits.handshakeTimeoutMs',
    'LIMITS__HANDSHAKE_TIMEOUT_MS',
    INTEGER,
    'Deadline of the HTTP upgrade (and TLS handshake), in ms.',
  ),
  s(
    'limits.pingIntervalMs',
    'LIMITS__PING_INTERVAL_MS',
    INTEGER,
    'Interval of server pings, in ms; 0 disables the heartbeat.',
  ),
  s(
    'limits.pongTimeoutMs',
    'LIMITS__PONG_TIMEOUT_MS',
    INTEGER,
    'A connection that does not answer a ping within this is closed, in ms.',
  ),
  s(
    'limits.sendHighWaterMark',
    'LIMITS__SEND_HIGH_WATER_MARK',
    INTEGER,
    "Bytes queued for a slow client before its namespace's slowConsumerPolicy applies.",
  ),
  s(
    'sse.retryMs',
    'SSE__RETRY_MS',
    INTEGER,
    'The retry: field of GET /sse streams: how long a browser waits before reconnecting after a stream ends, in ms.',
  ),
  s(
    'sse.keepaliveMs',
    'SSE__KEEPALIVE_MS',
    INTEGER,
    'Period of the keepalive comments of GET /sse streams, in ms; keep it under the idle timeout of proxies in front.',
  ),
  s(
    'deflate.enabled',
    'DEFLATE__ENABLED',
    BOOLEAN,
    'Accept permessage-deflate (RFC 7692) offers on the WebSocket endpoint. Off: compression costs memory per connection and can leak secrets through lengths (CRIME/BREACH, docs/deflate.md).',
  ),
  s(
    'deflate.thresholdBytes',
    'DEFLATE__THRESHOLD_BYTES',
    INTEGER,
    'Messages smaller than this many bytes are sent uncompressed.',
  ),
  s(
    'deflate.serverNoContextTakeover',
    'DEFLATE__SERVER_NO_CONTEXT_TAKEOVER',
    BOOLEAN,
    "Reset the server's compression window after every message: less memory, a worse ratio, and no message shapes another's length.",
  ),
  s(
    'deflate.clientNoContextTakeover',
    'DEFLATE__CLIENT_NO_CONTEXT_TAKEOVER',
    BOOLEAN,
    'Ask clients to reset their compression window after every message (less server memory for inflating).',
  ),
  s(
    'deflate.serverMaxWindowBits',
    'DEFLATE__SERVER_MAX_WINDOW_BITS',
    INTEGER,
    "The server's compression window, 9 to 15 bits (2^n bytes).",
  ),
  s(
    'deflate.concurrency',
    'DEFLATE__CONCURRENCY',
    INTEGER,
    'Most zlib jobs in flight in the process (a FIFO queue beyond).',
  ),
  s(
    'limits.drainTimeoutMs',
    'LIMITS__DRAIN_TIMEOUT_MS',
    INTEGER,
    'How long SIGTERM waits for close handshakes before exiting, in ms.',
  ),
  s('limits.typingTimeoutMs', 'LIMITS__TYPING_TIMEOUT_MS', INTEGER, 'A typing indicator expires after this, in ms.'),
  s(
    'limits.idleTimeoutMs',
    'LIMITS__IDLE_TIMEOUT_MS',
    INTEGER,
    'Close a connection that sent no application message (pings do not count) for this long with 4506, in ms; 0 is off, because listeners legitimately send nothing.',
  ),
  s(
    'namespaces.<namespace>.historySize',
    'NAMESPACES__<NAMESPACE>__HISTORY_SIZE',
    INTEGER,
    'Publications kept per channel of the namespace (0: no history).',
  ),
  s(
    'namespaces.<namespace>.historyTtlMs',
    'NAMESPACES__<NAMESPACE>__HISTORY_TTL_MS',
    INTEGER,
    'How long a publication stays in history, in ms.',
  ),
  s(
    'namespaces.<namespace>.recoverOnJoin',
    'NAMESPACES__<NAMESPACE>__RECOVER_ON_JOIN',
    INTEGER,
    'Publications sent to a new subscriber (at most historySize).',
  ),
  s('namespaces.<namespace>.presence', 'NAMESPACES__<NAMESPACE>__PRESENCE', BOOLEAN, 'Track who is in each channel.'),
  s(
    'namespaces.<namespace>.joinLeave',
    'NAMESPACES__<NAMESPACE>__JOIN_LEAVE',
    BOOLEAN,
    'Send join and leave events to subscribers.',
  ),
  s(
    'namespaces.<namespace>.allowClientPublish',
    'NAMESPACES__<NAMESPACE>__ALLOW_CLIENT_PUBLISH',
    BOOLEAN,
    'Let clients publish (false: only POST /api/publish).',
  ),
  s('namespaces.<namespace>.typing', 'NAMESPACES__<NAMESPACE>__TYPING', BOOLEAN, 'Relay typing indicators.'),
  s(
    'namespaces.<namespace>.roles.subscribe',
    'NAMESPACES__<NAMESPACE>__ROLES__SUBSCRIBE',
    LIST,
    'Roles that may subscribe in this namespace (unset: the role table decides).',
  ),
  s(
    'namespaces.<namespace>.roles.publish',
    'NAMESPACES__<NAMESPACE>__ROLES__PUBLISH',
    LIST,
    'Roles that may publish in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.history',
    'NAMESPACES__<NAMESPACE>__ROLES__HISTORY',
    LIST,
    'Roles that may read history in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.presence',
    'NAMESPACES__<NAMESPACE>__ROLES__PRESENCE',
    LIST,
    'Roles that may read presence in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.typing',
    'NAMESPACES__<NAMESPACE>__ROLES__TYPING',
    LIST,
    'Roles that may send typing indicators in this namespace.',
  ),
  s(
    'namespaces.<namespace>.roles.send',
    'NAMESPACES__<NAMESPACE>__ROLES__SEND',
    LIST,
    'Roles that may send private messages in this namespace.',
  ),
  s(
    'namespaces.<namespace>.slowConsumerPolicy',
    'NAMESPACES__<NAMESPACE>__SLOW_CONSUMER_POLICY',
    ENUM,
    'What happens to a client past limits.sendHighWaterMark: drop its messages, close it, or wait.',
  ),
  s(
    'namespaces.<namespace>.payloadSchema',
    'NAMESPACES__<NAMESPACE>__PAYLOAD_SCHEMA',
    JSON_OBJECT,
    'JSON Schema (ajv, strict) every publish and send payload must match, else `invalid_message` naming the path and rule.',
  ),
  s(
    'namespaces.<namespace>.payloadSchemaFile',
    'NAMESPACES__<NAMESPACE>__PAYLOAD_SCHEMA_FILE',
    STRING,
    'File holding the JSON Schema of payloadSchema, read at start; not together with payloadSchema.',
  ),
  s(
    'namespaces.<namespace>.publishRequiresSubscription',
    'NAMESPACES__<NAMESPACE>__PUBLISH_REQUIRES_SUBSCRIPTION',
    BOOLEAN,
    'Refuse a publish from a connection not subscribed to the channel (`not_subscribed`).',
  ),
  s(
    'namespaces.<namespace>.webhookPublications',
    'NAMESPACES__<NAMESPACE>__WEBHOOK_PUBLICATIONS',
    BOOLEAN,
    'Emit each stored publication as a `publication` webhook event (docs/webhooks.md).',
  ),
  s(
    'namespaces.<namespace>.snapshot',
    'NAMESPACES__<NAMESPACE>__SNAPSHOT',
    BOOLEAN,
    'A subscribe without `since` (or whose recovery failed) gets `subscribed.snapshot`: the latest publication per feed key (docs/feeds.md).',
  ),
  s(
    'namespaces.<namespace>.snapshotMaxKeys',
    'NAMESPACES__<NAMESPACE>__SNAPSHOT_MAX_KEYS',
    INTEGER,
    'Most feed keys per channel kept for the snapshot and held per channel by a conflating connection.',
  ),
  s(
    'namespaces.<namespace>.conflate',
    'NAMESPACES__<NAMESPACE>__CONFLATE',
    BOOLEAN,
    'A connection behind on its socket keeps only the newest publication per key instead of the slow-consumer policy (docs/feeds.md).',
  ),
  s(
    'namespaces.<namespace>.batchPublications',
    'NAMESPACES__<NAMESPACE>__BATCH_PUBLICATIONS',
    BOOLEAN,
    'Send publications to one connection in `publications` frames, several per frame (docs/protocol.md).',
  ),
  s(
    'namespaces.<namespace>.batchMaxDelayMs',
    'NAMESPACES__<NAMESPACE>__BATCH_MAX_DELAY_MS',
    INTEGER,
    'How long the first publication of a batch may wait, in ms; 0 sends at the end of the event-loop turn.',
  ),
  s(
    'namespaces.<namespace>.batchMaxCount',
    'NAMESPACES__<NAMESPACE>__BATCH_MAX_COUNT',
    INTEGER,
    'Most publications in one `publications` frame.',
  ),
  s(
    'namespaces.<namespace>.document',
    'NAMESPACES__<NAMESPACE>__DOCUMENT',
    BOOLEAN,
    'Channels of this namespace are collaborative documents (Yjs, docs/documents.md): `subscribe` opens one, `publish` permission writes it.',
  ),
  s(
    'namespaces.<namespace>.documentMaxBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_MAX_BYTES',
    INTEGER,
    'Largest stored size of one document in bytes; an update past it is refused with `document_too_large`.',
  ),
  s(
    'namespaces.<namespace>.documentUpdateMaxBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_UPDATE_MAX_BYTES',
    INTEGER,
    'Largest document or awareness update from a client in bytes (`message_too_large`).',
  ),
  s(
    'namespaces.<namespace>.documentUpdatesPerSecond',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_UPDATES_PER_SECOND',
    INTEGER,
    'Document updates per second per connection and document, bursts of twice as many (`rate_limited`).',
  ),
  s(
    'namespaces.<namespace>.awarenessUpdatesPerSecond',
    'NAMESPACES__<NAMESPACE>__AWARENESS_UPDATES_PER_SECOND',
    INTEGER,
    'Awareness updates (cursors) per second per connection and document, bursts of twice as many (`rate_limited`).',
  ),
  s(
    'namespaces.<namespace>.documentsPerConnection',
    'NAMESPACES__<NAMESPACE>__DOCUMENTS_PER_CONNECTION',
    INTEGER,
    'Documents of this namespace one connection may have open (`too_many_documents`).',
  ),
  s(
    'namespaces.<namespace>.documentIdleUnloadMs',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_IDLE_UNLOAD_MS',
    INTEGER,
    'How long a document nobody on this node has open stays in memory before it is unloaded, in ms.',
  ),
  s(
    'namespaces.<namespace>.documentCompactUpdates',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_COMPACT_UPDATES',
    INTEGER,
    'Stored updates after which the document is compacted into one snapshot.',
  ),
  s(
    'namespaces.<namespace>.documentCompactBytes',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_COMPACT_BYTES',
    INTEGER,
    'Stored update bytes after which the document is compacted into one snapshot.',
  ),
  s(
    'namespaces.<namespace>.documentFanoutBatchMs',
    'NAMESPACES__<NAMESPACE>__DOCUMENT_FANOUT_BATCH_MS',
    INTEGER_OR_AUTO,
    'How long a busy document gathers updates before fanning them out, in ms (one write per connection for all); 0: each at once; `auto`: one event-loop turn while the document has at least 8 peers on the node, else at once.',
  ),
  s(
    'documents.store',
    'DOCUMENTS__STORE',
    ENUM,
    'Where collaborative documents are stored: `memory` (lost on exit), `file` (an append-only log per document under `dir`, locked by one process; the `--dev` default, in ./data/documents), `redis` or `postgres` (shared by every node; required with several nodes or `--workers`).',
  ),
  s('documents.dir', 'DOCUMENTS__DIR', STRING, 'Directory of the `file` store.'),
  s('documents.url', 'DOCUMENTS__URL', STRING, 'Redis URL of the `redis` store; by default the Redis of broker.url.'),
  s('documents.prefix', 'DOCUMENTS__PREFIX', STRING, 'Key prefix of the `redis` store.'),
  s(
    'documents.connectionString',
    'DOCUMENTS__CONNECTION_STRING',
    STRING,
    'PostgreSQL connection string of the `postgres` store.',
  ),
  s('documents.table', 'DOCUMENTS__TABLE', STRING, 'Table name of the `postgres` store.'),
  s(
    'documents.yjsNamespace',
    'DOCUMENTS__YJS_NAMESPACE',
    STRING,
    'Document namespace served to y-websocket clients at `/yjs/<name>` (channel `<namespace>:<name>`); empty: no such endpoint.',
  ),
  s(
    'broker.url',
    'BROKER__URL',
    STRING,
    '`memory:` (one node) or `redis://[user:password@]host:port[/db]` (`rediss://` for TLS) shared by several nodes.',
    {
      flag: {
        name: '--broker',
        arg: '<url>',
        help: 'memory: (one process) or redis://host:port (several nodes or workers)',
      },
    },
  ),
  s(
    'broker.keyPrefix',
    'BROKER__KEY_PREFIX',
    STRING,
    'Prefix of Redis keys and pub/sub channels, so applications can share a Redis.',
  ),
  s('broker.sharded', 'BROKER__SHARDED', BOOLEAN, 'Sharded pub/sub (SPUBLISH, Redis 7+).'),
  s(
    'broker.commandTimeoutMs',
    'BROKER__COMMAND_TIMEOUT_MS',
    INTEGER,
    'Deadline of each Redis command, in ms; a publish that misses it gets broker_unavailable.',
  ),
  s(
    'broker.presenceHeartbeatMs',
    'BROKER__PRESENCE_HEARTBEAT_MS',
    INTEGER,
    "Presence heartbeat, in ms; a dead node's presence vanishes within 3 x this.",
  ),
  s(
    'workers',
    'WORKERS',
    INTEGER,
    'Worker processes serving one port (node:cluster); more than 1 needs a shared broker (redis://).',
    {
      flag: {
        name: '--workers',
        arg: '<n>',
        help: 'worker processes on one port (node:cluster); n > 1 needs --broker redis://...',
      },
    },
  ),
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
  s(
    'acceptPath',
    'ACCEPT_PATH',
    ENUM,
    '`net`: WebSocket upgrades are read by the engine without node:http (less memory and CPU per connection), plain HTTP goes to node:http; `http`: node:http parses everything. Over TLS always `http`.',
  ),
  s(
    'httpTransports.enabled',
    'HTTP_TRANSPORTS__ENABLED',
    BOOLEAN,
    'Serve the HTTP emulated sessions (`/http/stream` event streams, `/http/poll` long polling, `/http/send`) for clients whose WebSocket is blocked (docs/protocol.md § 15).',
  ),
  s(
    'httpTransports.pollTimeoutMs',
    'HTTP_TRANSPORTS__POLL_TIMEOUT_MS',
    INTEGER,
    'How long a long poll is held without messages before it is answered empty, in ms (under the idle timeout of proxies in front).',
  ),
  s(
    'httpTransports.sessionTimeoutMs',
    'HTTP_TRANSPORTS__SESSION_TIMEOUT_MS',
    INTEGER,
    'How long a long-polling session lives with no poll, in ms; then it ends as a cut connection (1006).',
  ),
  s(
    'httpTransports.keepaliveMs',
    'HTTP_TRANSPORTS__KEEPALIVE_MS',
    INTEGER,
    'Period of the `: keepalive` comment on an event stream, in ms.',
  ),
  s(
    'ingest',
    'INGEST',
    LIST,
    'Ingest connectors, each `{name, source: {kind, ...options of the kind}, channel, key?, codec?: json | msgpack | text, maxPayloadBytes?}`: live data from NATS JetStream, Redis Streams and other systems published into channels (docs/feeds.md); from the environment as a JSON array.',
  ),
]);
