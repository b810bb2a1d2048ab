// CLI config: the zod schema of the `switchboard serve` configuration (field types, ranges, defaults, cross-checks).
// The env/flag names and descriptions of its settings are in settings.ts; test/cli/config-settings.test.ts keeps both in step.
// The value types the sections share are in schema-values.ts; the larger sections (auth, namespaces, webhooks, proxy)
// have a file each.
import { z } from 'zod';
import { DEFAULT_ROLE_PERMISSIONS } from '../../realtime/index.ts';
import { IngestConfigSchema } from '../../ingest/index.ts';
import { AuthConfigSchema } from './auth-schema.ts';
import { NamespaceConfigSchema } from './namespace-schema.ts';
import { ProxyConfigSchema } from './proxy-schema.ts';
import {
  addressList,
  bool,
  httpPath,
  namespaceName,
  nonNegInt,
  operation,
  originString,
  posInt,
  roleList,
  roleName,
  text,
} from './schema-values.ts';
import { WebhookEndpointSchema } from './webhook-schema.ts';

/**
 * Every setting of `switchboard serve`, with types, ranges and defaults, but without the checks that only matter
 * for serving (TLS or plaintext, a key or anonymous access, workers with a shared broker): `switchboard token`
 * reads its `auth` section without them. Every object is strict: a misspelt field is an error.
 */
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
/** A configuration as written in a file: every field optional. */
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;
