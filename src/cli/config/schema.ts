// CLI config: the zod schema of the `switchboard serve` configuration (field types, ranges, defaults, cross-checks).
// The env/flag names and descriptions of its settings are in settings.ts; test/cli/config-settings.test.ts keeps both in step.
import { z } from 'zod';
import { DEFAULT_PIPELINED_KINDS, DEFAULT_PIPELINING, PROXY_REQUEST_KINDS } from '../../integrations/index.ts';
import {
  DEFAULT_ROLE_PERMISSIONS,
  NAMESPACE_DEFAULTS,
  normalizeOrigin,
  OPERATIONS,
  REALTIME_EVENT_NAMES,
  RPC_OPERATION,
  TrustedProxies,
  type NamespaceConfig,
} from '../../realtime/index.ts';
import { IngestConfigSchema } from '../../ingest/index.ts';

const posInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt =>
  z
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' })
    .max(max, { error: `expected an integer at most ${max}` });
const nonNegInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt =>
  z
    .int({ error: 'expected a non-negative integer' })
    .min(0, { error: 'expected a non-negative integer' })
    .max(max, { error: `expected an integer at most ${max}` });
const bool = (): z.ZodBoolean => z.boolean({ error: 'expected true or false' });
const text = (what = 'a string'): z.ZodString =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const roleName = z
  .string({ error: 'expected a role name' })
  .regex(/^[A-Za-z0-9_\-.:]{1,64}$/, { error: 'expected a role name (1-64 of A-Z a-z 0-9 _ - . :)' });
const roleList = z.array(roleName, { error: 'expected a list of role names' }).max(64);
const httpPath = z
  .string({ error: 'expected a path' })
  .regex(/^\/[A-Za-z0-9_\-./]*$/, { error: 'expected a path starting with /' });
/** Operations a role may be granted (the realtime layer's `Operation`, `rpc`, plus `*`). */
const OPERATION_NAMES = [...OPERATIONS, RPC_OPERATION, '*'] as const;
const operation = z.enum(OPERATION_NAMES, { error: `expected one of ${OPERATION_NAMES.join(', ')}` });

const originString = z.string({ error: 'expected an origin' }).refine(
  (value) => {
    try {
      normalizeOrigin(value);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an origin like https://app.example.com (scheme, host and optional port; no path, no wildcard)' },
);

/** One namespace: the user-facing form of the realtime layer's `NamespaceConfig`, with defaults. */
export const NamespaceConfigSchema = z
  .strictObject({
    historySize: nonNegInt(1_000_000).default(NAMESPACE_DEFAULTS.historySize),
    historyTtlMs: posInt().default(NAMESPACE_DEFAULTS.historyTtlMs),
    recoverOnJoin: nonNegInt(1000).default(NAMESPACE_DEFAULTS.recoverOnJoin),
    presence: bool().default(NAMESPACE_DEFAULTS.presence),
    joinLeave: bool().default(NAMESPACE_DEFAULTS.joinLeave),
    allowClientPublish: bool().default(NAMESPACE_DEFAULTS.allowClientPublish),
    typing: bool().default(NAMESPACE_DEFAULTS.typing),
    roles: z
      .strictObject({
        subscribe: roleList.optional(),
        publish: roleList.optional(),
        history: roleList.optional(),
        presence: roleList.optional(),
        typing: roleList.optional(),
        send: roleList.optional(),
      })
      .default({}),
    slowConsumerPolicy: z
      .enum(['drop', 'close', 'wait'], { error: 'expected "drop", "close" or "wait"' })
      .default(NAMESPACE_DEFAULTS.slowConsumerPolicy),
    webhookPublications: bool().default(NAMESPACE_DEFAULTS.webhookPublications),
    payloadSchema: z
      .record(z.string(), z.unknown(), { error: 'expected a JSON Schema object or null' })
      .nullable()
      .default(NAMESPACE_DEFAULTS.payloadSchema as null),
    payloadSchemaFile: text('a file path').optional(),
    publishRequiresSubscription: bool().default(NAMESPACE_DEFAULTS.publishRequiresSubscription),
    snapshot: bool().default(NAMESPACE_DEFAULTS.snapshot),
    snapshotMaxKeys: posInt().default(NAMESPACE_DEFAULTS.snapshotMaxKeys),
    conflate: bool().default(NAMESPACE_DEFAULTS.conflate),
    batchPublications: bool().default(NAMESPACE_DEFAULTS.batchPublications),
    batchMaxDelayMs: nonNegInt(60_000).default(NAMESPACE_DEFAULTS.batchMaxDelayMs),
    batchMaxCount: posInt().default(NAMESPACE_DEFAULTS.batchMaxCount),
    document: bool().default(NAMESPACE_DEFAULTS.document),
    documentMaxBytes: posInt().default(NAMESPACE_DEFAULTS.documentMaxBytes),
    documentUpdateMaxBytes: posInt().default(NAMESPACE_DEFAULTS.documentUpdateMaxBytes),
    documentUpdatesPerSecond: posInt().default(NAMESPACE_DEFAULTS.documentUpdatesPerSecond),
    awarenessUpdatesPerSecond: posInt().default(NAMESPACE_DEFAULTS.awarenessUpdatesPerSecond),
    documentsPerConnection: posInt().default(NAMESPACE_DEFAULTS.documentsPerConnection),
    documentIdleUnloadMs: nonNegInt(86_400_000).default(NAMESPACE_DEFAULTS.documentIdleUnloadMs),
    documentCompactUpdates: posInt().default(NAMESPACE_DEFAULTS.documentCompactUpdates),
    documentCompactBytes: posInt().default(NAMESPACE_DEFAULTS.documentCompactBytes),
    documentFanoutBatchMs: z
      .union([nonNegInt(1_000), z.literal('auto')], { error: 'expected an integer from 0 to 1000, or auto' })
      .default(NAMESPACE_DEFAULTS.documentFanoutBatchMs),
  })
  .refine((ns) => ns.payloadSchema === null || ns.payloadSchemaFile === undefined, {
    error: 'set either payloadSchema or payloadSchemaFile, not both',
    path: ['payloadSchemaFile'],
  })
  .refine(
    (ns) =>
      !(Number.isInteger(ns.historySize) && ns.historySize > 0) ||
      !Number.isInteger(ns.recoverOnJoin) ||
      ns.recoverOnJoin <= ns.historySize,
    {
      error: 'expected recoverOnJoin at most historySize',
      path: ['recoverOnJoin'],
    },
  );

/** One webhook endpoint (src/integrations/webhooks): where, with which secret, which events, delivery limits. */
const WebhookEndpointSchema = z
  .strictObject({
    url: z
      .string({ error: 'expected a URL' })
      .regex(/^https?:\/\/[^\s]+$/, { error: 'expected an http:// or https:// URL' })
      .refine((u) => URL.canParse(u), { error: 'expected an http:// or https:// URL' }),
    secret: z.string({ error: 'expected a string' }).min(16, { error: 'expected at least 16 characters' }).optional(),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'expected the name of an environment variable' })
      .optional(),
    events: z
      .array(
        z.enum(REALTIME_EVENT_NAMES as [string, ...string[]], {
          error: `expected one of ${REALTIME_EVENT_NAMES.join(', ')}`,
        }),
      )
      .min(1, { error: 'expected at least one event' }),
    maxBatchSize: posInt(10_000).optional(),
    maxWaitMs: posInt(600_000).optional(),
    maxQueuedEvents: posInt(10_000_000).optional(),
    maxQueuedBytes: posInt(4 * 1024 * 1024 * 1024).optional(),
    timeoutMs: posInt(600_000).optional(),
    maxAttempts: posInt(1_000_000).optional(),
    initialBackoffMs: posInt(3_600_000).optional(),
    maxBackoffMs: posInt(86_400_000).optional(),
  })
  .refine((w) => (w.secret === undefined) !== (w.secretEnv === undefined), {
    error: 'set either secret or secretEnv (the variable holding it), not both',
    path: ['secret'],
  });

const namespaceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a namespace name (1-64 of A-Z a-z 0-9 _ -)' });

/** The `auth` section: how tokens are verified (and signed by `switchboard token`). Descriptions: settings.ts. */
export const AuthConfigSchema = z
  .strictObject({
    hs256Secret: z
      .string({ error: 'expected a string' })
      .refine((s) => new TextEncoder().encode(s).byteLength >= 32, {
        error: 'expected at least 32 bytes (RFC 7518 §3.2)',
      })
      .optional(),
    hs256SecretFile: text('a file path').optional(),
    publicKeyFile: text('a file path').optional(),
    jwksFile: text('a file path').optional(),
    privateKeyFile: text('a file path').optional(),
    audience: text().optional(),
    issuer: text().optional(),
    clockToleranceMs: nonNegInt(300_000).default(5000),
    maxTokenBytes: posInt(65_536).default(8192),
    rolesClaim: text().default('roles'),
    userIdClaim: text('a claim name').default('sub'),
    requireExp: bool().default(true),
    infoClaim: text().nullable().default('info'),
    cookieName: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/, { error: 'expected a cookie name' })
      .nullable()
      .default(null),
    allowQueryToken: bool().default(true),
    connectTimeoutMs: posInt(60_000).default(5000),
    anonymous: z.strictObject({ enabled: bool().default(false), roles: roleList.default(['anonymous']) }).prefault({}),
  })
  .superRefine((a, ctx) => {
    if (a.hs256Secret !== undefined && a.hs256SecretFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hs256SecretFile'],
        message: 'set either hs256Secret or hs256SecretFile, not both',
      });
    }
  });

/** An endpoint of the backend proxy: an absolute http(s) URL, or null for none. */
const proxyUrl = z
  .string({ error: 'expected an http:// or https:// URL' })
  .min(1, { error: 'expected an http:// or https:// URL' })
  .refine(
    (value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: 'expected an http:// or https:// URL' },
  )
  .nullable();

/** The `proxy` section: hooks and RPC forwarded to a backend over HTTP (docs/backend-proxy.md). Descriptions: settings.ts. */
export const ProxyConfigSchema = z.strictObject({
  connect: proxyUrl.default(null),
  refresh: proxyUrl.default(null),
  rpc: proxyUrl.default(null),
  rpcPrefixes: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'expected a method prefix (1-64 of A-Z a-z 0-9 _ . : -)' }),
      proxyUrl.unwrap(),
    )
    .default({}),
  subscribe: proxyUrl.default(null),
  publish: proxyUrl.default(null),
  namespaces: z
    .record(namespaceName, z.strictObject({ subscribe: proxyUrl.optional(), publish: proxyUrl.optional() }))
    .default({}),
  secret: z
    .string({ error: 'expected a string' })
    .min(16, { error: 'expected at least 16 characters' })
    .nullable()
    .default(null),
  timeoutMs: posInt(600_000).default(3000),
  maxResponseBytes: posInt(64 * 1024 * 1024).default(65_536),
  maxConcurrency: posInt(65_536).default(64),
  maxQueued: nonNegInt(1_000_000).default(1024),
  pipelining: posInt(1024).default(DEFAULT_PIPELINING),
  pipelinedKinds: z
    .array(z.enum(PROXY_REQUEST_KINDS, { error: `expected one of ${PROXY_REQUEST_KINDS.join(', ')}` }), {
      error: 'expected a list of request kinds',
    })
    .max(PROXY_REQUEST_KINDS.length)
    .default([...DEFAULT_PIPELINED_KINDS]),
  breaker: z
    .strictObject({ failureThreshold: posInt(1_000_000).default(5), resetAfterMs: posInt(3_600_000).default(5000) })
    .prefault({}),
});

/**
 * Every setting of `switchboard serve`, with types, ranges and defaults, but without the checks that only matter
 * for serving (TLS or plaintext, a key or anonymous access, workers with a shared broker): `switchboard token`
 * reads its `auth` section without them. Every object is strict: a misspelt field is an error.
 */

/**
 * A list of IP addresses and CIDR ranges, each checked by the matcher that will use it (trusted proxies, deny-list).
 * @param message What a bad entry is told, with examples.
 */
function addressList(message: string) {
  return z
    .array(
      z.string({ error: 'expected an address or CIDR range' }).refine(
        (entry) => {
          try {
            return new TrustedProxies([entry]).enabled;
          } catch {
            return false;
          }
        },
        { error: message },
      ),
      { error: 'expected a list of addresses' },
    )
    .default([]);
}

export const ServerSettingsSchema = z.strictObject({
  mode: z
    .enum(['production', 'development'], { error: 'expected "production" or "development"' })
    .default('production'),
  host: text('a host name or address').default('127.0.0.1'),
  port: nonNegInt(65_535).default(8080),
  paths: z
    .strictObject({
      ws: httpPath.default('/ws'),
      publish: httpPath.default('/api/publish'),
      disconnect: httpPath.default('/api/disconnect'),
      stats: httpPath.default('/api/stats'),
      health: httpPath.default('/health'),
      ready: httpPath.default('/ready'),
      metrics: httpPath.default('/metrics'),
    })
    .prefault({}),
  tls: z
    .strictObject({ certFile: text('a file path'), keyFile: text('a file path') })
    .nullable()
    .default(null),
  allowPlaintext: bool().default(false),
  auth: AuthConfigSchema.prefault({}),
  trustedProxies: addressList('expected an IP address or CIDR range (10.0.0.1, 10.0.0.0/8, fd00::/8)'),
  denyAddresses: addressList(
    'expected an IP address or CIDR range to deny (203.0.113.7, 203.0.113.0/24, 2001:db8::/32)',
  ),
  origins: z.array(originString, { error: 'expected a list of origins' }).default([]),
  roles: z
    .record(roleName, z.array(operation, { error: 'expected a list of operations' }))
    .default({})
    .transform((roles) => ({
      ...Object.fromEntries(Object.entries(DEFAULT_ROLE_PERMISSIONS).map(([k, v]) => [k, [...v]])),
      ...roles,
    })),
  authenticatedRoles: roleList.default(['user']),
  limits: z
    .strictObject({
      maxMessageSize: posInt(64 * 1024 * 1024).default(65_536),
      maxConnections: posInt().default(10_000),
      maxConnectionsPerIp: posInt().default(100),
      maxConnectionsPerUser: posInt().default(20),
      maxSubscriptionsPerConnection: posInt(100_000).default(128),
      messagesPerSecond: posInt().default(50),
      messagesBurst: posInt().default(100),
      bytesPerSecond: posInt().default(262_144),
      bytesBurst: posInt().default(1_048_576),
      connectionsPerMinutePerIp: posInt().default(120),
      maxStrikes: posInt(10_000).default(10),
      strikeWindowMs: posInt().default(10_000),
      handshakeTimeoutMs: posInt().default(10_000),
      pingIntervalMs: nonNegInt().default(25_000),
      pongTimeoutMs: posInt().default(10_000),
      sendHighWaterMark: posInt().default(1_048_576),
      drainTimeoutMs: posInt().default(10_000),
      typingTimeoutMs: posInt().default(5000),
      idleTimeoutMs: nonNegInt().default(0),
    })
    .prefault({}),
  deflate: z
    .strictObject({
      enabled: bool().default(false),
      thresholdBytes: nonNegInt(64 * 1024 * 1024).default(1024),
      serverNoContextTakeover: bool().default(false),
      clientNoContextTakeover: bool().default(false),
      serverMaxWindowBits: z
        .int({ error: 'expected an integer from 9 to 15' })
        .min(9, { error: 'expected an integer from 9 to 15' })
        .max(15, { error: 'expected an integer from 9 to 15' })
        .default(15),
      concurrency: posInt(1024).default(10),
    })
    .prefault({}),
  sse: z
    .strictObject({
      retryMs: posInt(3_600_000).default(2000),
      keepaliveMs: posInt(3_600_000).default(15_000),
    })
    .prefault({}),
  namespaces: z.record(namespaceName, NamespaceConfigSchema).default({}),
  broker: z
    .strictObject({
      url: z
        .string()
        .regex(/^(memory:|rediss?:\/\/.+)$/, { error: 'expected "memory:" or a redis:// URL' })
        .default('memory:'),
      keyPrefix: z
        .string({ error: 'expected a string' })
        .max(64, { error: 'expected at most 64 characters' })
        .default('sb:'),
      sharded: bool().default(false),
      commandTimeoutMs: posInt(60_000).default(2000),
      presenceHeartbeatMs: posInt(600_000).default(5000),
    })
    .prefault({}),
  workers: posInt(256).default(1),
  apiKeys: z
    .array(z.string({ error: 'expected a string' }).min(16, { error: 'expected at least 16 characters' }), {
      error: 'expected a list of keys',
    })
    .default([]),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          error: 'expected fatal, error, warn, info, debug, trace or silent',
        })
        .default('info'),
      pretty: z.union([z.boolean(), z.literal('auto')], { error: 'expected true, false or "auto"' }).default('auto'),
    })
    .prefault({}),
  web: z.strictObject({ enabled: bool().default(true) }).prefault({}),
  apiSecret: z
    .string({ error: 'expected a string' })
    .min(16, { error: 'expected at least 16 characters' })
    .nullable()
    .default(null),
  webhooks: z.array(WebhookEndpointSchema, { error: 'expected a list of endpoints' }).max(64).default([]),
  logic: text('a module path').nullable().default(null),
  logicTimeoutMs: posInt(60_000).default(3000),
  proxy: ProxyConfigSchema.prefault({}),
  acceptPath: z.enum(['net', 'http'], { error: 'expected "net" or "http"' }).default('net'),
  httpTransports: z
    .strictObject({
      enabled: bool().default(true),
      pollTimeoutMs: posInt(600_000).default(25_000),
      sessionTimeoutMs: posInt(3_600_000).default(60_000),
      keepaliveMs: posInt(600_000).default(15_000),
    })
    .prefault({}),
  documents: z
    .strictObject({
      store: z
        .enum(['memory', 'file', 'redis', 'postgres'], { error: 'expected "memory", "file", "redis" or "postgres"' })
        .default('memory'),
      dir: text('a directory path').default('./data/documents'),
      url: z
        .string({ error: 'expected a redis:// URL' })
        .regex(/^rediss?:\/\/.+$/, { error: 'expected a redis:// URL' })
        .optional(),
      prefix: z.string({ error: 'expected a string' }).max(64, { error: 'expected at most 64 characters' }).optional(),
      connectionString: text('a PostgreSQL connection string').optional(),
      table: z
        .string({ error: 'expected a table name' })
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, { error: 'expected a table name (letters, digits, _)' })
        .optional(),
      yjsNamespace: z
        .string({ error: 'expected a namespace name' })
        .regex(/^[A-Za-z0-9_-]{0,64}$/, { error: 'expected a namespace name, or "" for no /yjs endpoint' })
        .default('doc'),
    })
    .prefault({}),
  ingest: IngestConfigSchema.default([]),
});

/** The whole `switchboard serve` configuration: the settings plus the checks a serving node needs. */
export const ServerConfigSchema = ServerSettingsSchema.superRefine((config, ctx) => {
  if (config.mode === 'production' && config.tls === null && !config.allowPlaintext) {
    ctx.addIssue({
      code: 'custom',
      path: ['tls'],
      message: 'production needs tls, or allowPlaintext: true behind a TLS-terminating proxy (AU-14)',
    });
  }
  const a = config.auth;
  const keys = [a.hs256Secret, a.hs256SecretFile, a.publicKeyFile, a.jwksFile].filter((k) => k !== undefined).length;
  if (keys === 0 && !a.anonymous.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth'],
      message: 'configure hs256Secret, hs256SecretFile, publicKeyFile or jwksFile, or enable auth.anonymous',
    });
  }
  const documents = config.documents;
  if (documents.store === 'postgres' && documents.connectionString === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['documents', 'connectionString'],
      message: 'expected a PostgreSQL connection string for documents.store "postgres"',
    });
  }
  if (documents.store === 'redis' && documents.url === undefined && config.broker.url === 'memory:') {
    ctx.addIssue({
      code: 'custom',
      path: ['documents', 'url'],
      message: 'expected a redis:// URL for documents.store "redis" (or a Redis broker.url to share)',
    });
  }
  if (config.workers > 1 && documents.store === 'file') {
    ctx.addIssue({
      code: 'custom',
      path: ['documents', 'store'],
      message:
        'expected "redis" or "postgres" with several workers: the file store is one process per directory (its lock refuses a second), so the workers could not share documents; set documents.store redis (SWITCHBOARD_DOCUMENTS__STORE=redis) or run one worker',
    });
  }
  const hasDocuments = Object.values(config.namespaces).some((n) => n.document === true);
  if (config.workers > 1 && documents.store === 'memory' && hasDocuments) {
    ctx.addIssue({
      code: 'custom',
      path: ['documents', 'store'],
      message:
        'expected "redis" or "postgres" with several workers and a document namespace: each worker\'s memory store would keep its own copy of every document; set documents.store redis (SWITCHBOARD_DOCUMENTS__STORE=redis)',
    });
  }
  if (config.workers > 1 && config.broker.url === 'memory:') {
    ctx.addIssue({
      code: 'custom',
      path: ['workers'],
      message:
        'expected 1 with the embedded memory broker (each worker would see only its own channels); use --broker redis://host:port for several workers',
    });
  }
});

/** The validated configuration. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;
/** The validated `auth` section. */
export type AuthConfig = z.output<typeof AuthConfigSchema>;
/** A configuration as written in a file: every field optional. */
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

// Compile-time check: the zod namespace schema produces what the realtime layer consumes.
const namespaceShapeMatches: (c: z.output<typeof NamespaceConfigSchema>) => NamespaceConfig = (c) => c;
void namespaceShapeMatches;
