// CLI: the `switchboard serve` configuration: defaults < config file < SWITCHBOARD_* environment < flags.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  DEFAULT_ROLE_PERMISSIONS,
  NAMESPACE_DEFAULTS,
  normalizeOrigin,
  OPERATIONS,
  TrustedProxies,
  type AuthKey,
  type AuthOptions,
  type NamespaceConfig,
  type SigningKey,
} from '../realtime/index.ts';
import { parseJwks } from './keys.ts';

// ---------------------------------------------------------------------------------------------- schema pieces

const posInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt => z.int({ error: 'expected a positive integer' })
  .positive({ error: 'expected a positive integer' }).max(max, { error: `expected an integer at most ${max}` });
const nonNegInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt => z.int({ error: 'expected a non-negative integer' })
  .min(0, { error: 'expected a non-negative integer' }).max(max, { error: `expected an integer at most ${max}` });
const bool = (): z.ZodBoolean => z.boolean({ error: 'expected true or false' });
const text = (what = 'a string'): z.ZodString => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const roleName = z.string({ error: 'expected a role name' }).regex(/^[A-Za-z0-9_\-.:]{1,64}$/, { error: 'expected a role name (1-64 of A-Z a-z 0-9 _ - . :)' });
const roleList = z.array(roleName, { error: 'expected a list of role names' }).max(64);
const httpPath = z.string({ error: 'expected a path' }).regex(/^\/[A-Za-z0-9_\-./]*$/, { error: 'expected a path starting with /' });
/** Operations a role may be granted (the realtime layer's `Operation`, plus `*`). */
const OPERATION_NAMES = [...OPERATIONS, '*'] as const;
const operation = z.enum(OPERATION_NAMES, { error: `expected one of ${OPERATION_NAMES.join(', ')}` });

const originString = z.string({ error: 'expected an origin' }).refine((value) => {
  try {
    normalizeOrigin(value);
    return true;
  } catch {
    return false;
  }
}, { error: 'expected an origin like https://app.example.com (scheme, host and optional port; no path, no wildcard)' });

/** One namespace: the user-facing form of the realtime layer's `NamespaceConfig`, with defaults. */
export const NamespaceConfigSchema = z.strictObject({
  historySize: nonNegInt(1_000_000).default(NAMESPACE_DEFAULTS.historySize),
  historyTtlMs: posInt().default(NAMESPACE_DEFAULTS.historyTtlMs),
  recoverOnJoin: nonNegInt(1000).default(NAMESPACE_DEFAULTS.recoverOnJoin),
  presence: bool().default(NAMESPACE_DEFAULTS.presence),
  joinLeave: bool().default(NAMESPACE_DEFAULTS.joinLeave),
  allowClientPublish: bool().default(NAMESPACE_DEFAULTS.allowClientPublish),
  typing: bool().default(NAMESPACE_DEFAULTS.typing),
  roles: z.strictObject({
    subscribe: roleList.optional(), publish: roleList.optional(), history: roleList.optional(),
    presence: roleList.optional(), typing: roleList.optional(), send: roleList.optional(),
  }).default({}),
  slowConsumerPolicy: z.enum(['drop', 'close', 'wait'], { error: 'expected "drop", "close" or "wait"' }).default(NAMESPACE_DEFAULTS.slowConsumerPolicy),
}).refine((ns) => !(Number.isInteger(ns.historySize) && ns.historySize > 0) || !Number.isInteger(ns.recoverOnJoin) || ns.recoverOnJoin <= ns.historySize, {
  error: 'expected recoverOnJoin at most historySize', path: ['recoverOnJoin'],
});

const namespaceName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a namespace name (1-64 of A-Z a-z 0-9 _ -)' });

/** The whole `switchboard serve` configuration. Every object is strict: a misspelt field is an error. */
export const ServerConfigSchema = z.strictObject({
  /** `production` refuses unsafe settings (plain ws:// without allowPlaintext). @default 'production' */
  mode: z.enum(['production', 'development'], { error: 'expected "production" or "development"' }).default('production'),
  /** @default '127.0.0.1' - listen on loopback unless told otherwise (containers set 0.0.0.0) */
  host: text('a host name or address').default('127.0.0.1'),
  /** @default 8080 */
  port: nonNegInt(65_535).default(8080),
  paths: z.strictObject({
    ws: httpPath.default('/ws'), publish: httpPath.default('/api/publish'), disconnect: httpPath.default('/api/disconnect'), stats: httpPath.default('/api/stats'),
    health: httpPath.default('/health'), ready: httpPath.default('/ready'), metrics: httpPath.default('/metrics'),
  }).prefault({}),
  /** Serve wss:// and https:// directly. @default null */
  tls: z.strictObject({ certFile: text('a file path'), keyFile: text('a file path') }).nullable().default(null),
  /** Allow a plaintext listener in production, for a TLS-terminating proxy in front (AU-14). @default false */
  allowPlaintext: bool().default(false),
  auth: z.strictObject({
    /** HS256 secret, at least 32 bytes (RFC 7518 §3.2). Prefer the environment or a file to a flag. */
    hs256Secret: z.string({ error: 'expected a string' }).refine((s) => new TextEncoder().encode(s).byteLength >= 32, {
      error: 'expected at least 32 bytes (RFC 7518 §3.2)',
    }).optional(),
    hs256SecretFile: text('a file path').optional(),
    /** PEM public key (RSA: RS256, P-256: ES256). */
    publicKeyFile: text('a file path').optional(),
    jwksFile: text('a file path').optional(),
    /** PEM private key used only by `switchboard token` to sign RS256/ES256 tokens. */
    privateKeyFile: text('a file path').optional(),
    audience: text().optional(),
    issuer: text().optional(),
    clockToleranceMs: nonNegInt(300_000).default(5000),
    maxTokenBytes: posInt(65_536).default(8192),
    rolesClaim: text().default('roles'),
    infoClaim: text().nullable().default('info'),
    /** Cookie carrying the token; null disables cookie auth. @default null */
    cookieName: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/, { error: 'expected a cookie name' }).nullable().default(null),
    allowQueryToken: bool().default(true),
    /** Deadline for a first `connect` message when the upgrade carried no credential. @default 5000 */
    connectTimeoutMs: posInt(60_000).default(5000),
    anonymous: z.strictObject({ enabled: bool().default(false), roles: roleList.default(['anonymous']) }).prefault({}),
  }).prefault({}),
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client, for per-address limits and logs.
   * @default [] - no header is believed; behind nginx or HAProxy list their addresses here
   */
  trustedProxies: z.array(z.string({ error: 'expected an address or CIDR range' }).refine((entry) => {
    try {
      return new TrustedProxies([entry]).enabled;
    } catch {
      return false;
    }
  }, { error: 'expected an IP address or CIDR range (10.0.0.1, 10.0.0.0/8, fd00::/8)' }), { error: 'expected a list of addresses' }).default([]),
  /** Browser origins allowed to connect, exact match (AU-01). @default [] */
  origins: z.array(originString, { error: 'expected a list of origins' }).default([]),
  /**
   * Operations each role grants; `*` is everything. Configured roles are added to the defaults (a role set to `[]`
   * grants nothing). @default admin: *, user: all chat operations, anonymous: read
   */
  roles: z.record(roleName, z.array(operation, { error: 'expected a list of operations' })).default({}).transform(
    (roles) => ({ ...Object.fromEntries(Object.entries(DEFAULT_ROLE_PERMISSIONS).map(([k, v]) => [k, [...v]])), ...roles }),
  ),
  /** Roles every authenticated identity holds. @default ['user'] */
  authenticatedRoles: roleList.default(['user']),
  limits: z.strictObject({
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
  }).prefault({}),
  namespaces: z.record(namespaceName, NamespaceConfigSchema).default({}),
  broker: z.strictObject({
    /** `memory:` (one node) or `redis://[user:password@]host:port[/db]` (`rediss://` for TLS). @default 'memory:' */
    url: z.string().regex(/^(memory:|rediss?:\/\/.+)$/, { error: 'expected "memory:" or a redis:// URL' }).default('memory:'),
    /** Prefix of Redis keys and pub/sub channels, so applications can share a Redis. @default 'sb:' */
    keyPrefix: z.string({ error: 'expected a string' }).max(64, { error: 'expected at most 64 characters' }).default('sb:'),
    /** Sharded pub/sub (SPUBLISH, Redis 7+). @default false */
    sharded: bool().default(false),
    /** Deadline of each Redis command; a publish that misses it gets broker_unavailable. @default 2000 */
    commandTimeoutMs: posInt(60_000).default(2000),
    /** Presence heartbeat; a dead node's presence vanishes within 3 x this. @default 5000 */
    presenceHeartbeatMs: posInt(600_000).default(5000),
  }).prefault({}),
  /**
   * Worker processes serving one port (`node:cluster`); more than 1 needs a shared broker (`redis://`).
   * @default 1
   */
  workers: posInt(256).default(1),
  /** Keys accepted by POST /api/publish (header `Authorization: Bearer <key>`), at least 16 characters each. */
  apiKeys: z.array(z.string({ error: 'expected a string' }).min(16, { error: 'expected at least 16 characters' }), { error: 'expected a list of keys' }).default([]),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'expected fatal, error, warn, info, debug, trace or silent' }).default('info'),
    pretty: z.union([z.boolean(), z.literal('auto')], { error: 'expected true, false or "auto"' }).default('auto'),
  }).prefault({}),
  /** Serve the demo chat page at `/`. @default true */
  web: z.strictObject({ enabled: bool().default(true) }).prefault({}),
}).superRefine((config, ctx) => {
  if (config.mode === 'production' && config.tls === null && !config.allowPlaintext) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'production needs tls, or allowPlaintext: true behind a TLS-terminating proxy (AU-14)' });
  }
  const a = config.auth;
  const keys = [a.hs256Secret, a.hs256SecretFile, a.publicKeyFile, a.jwksFile].filter((k) => k !== undefined).length;
  if (keys === 0 && !a.anonymous.enabled) {
    ctx.addIssue({ code: 'custom', path: ['auth'], message: 'configure hs256Secret, hs256SecretFile, publicKeyFile or jwksFile, or enable auth.anonymous' });
  }
  if (config.workers > 1 && config.broker.url === 'memory:') {
    ctx.addIssue({ code: 'custom', path: ['workers'], message: 'expected 1 with the embedded memory broker (each worker would see only its own channels); use --broker redis://host:port for several workers' });
  }
  if (a.hs256Secret !== undefined && a.hs256SecretFile !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['auth', 'hs256SecretFile'], message: 'set either hs256Secret or hs256SecretFile, not both' });
  }
});

/** The validated configuration. */
export type ServerConfig = z.output<typeof ServerConfigSchema>;
/** A configuration as written in a file: every field optional. */
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

// Compile-time check: the zod namespace schema produces what the realtime layer consumes.
const namespaceShapeMatches: (c: z.output<typeof NamespaceConfigSchema>) => NamespaceConfig = (c) => c;
void namespaceShapeMatches;

// ---------------------------------------------------------------------------------------------- dev config

/**
 * HS256 secret of the development config. Public by design: never use it in production (production mode does
 * not start from DEV_CONFIG).
 */
export const DEV_SECRET = 'switchboard-development-secret-not-for-production';
/** API key of the development config for `POST /api/publish`. */
export const DEV_API_KEY = 'switchboard-dev-api-key';

/**
 * The documented development configuration that `npm start` (`switchboard serve --dev`) uses: plain HTTP on
 * 127.0.0.1:8080, anonymous chat allowed (anonymous users may read, publish, type and send private messages),
 * demo namespaces `chat` (history 100, last 20 on join), `feed` (server-published only) and `doc`
 * (collaborative documents), the development secret and API key above, and the page origins of that port.
 */
export const DEV_CONFIG: ServerConfigInput = Object.freeze({
  mode: 'development',
  host: '127.0.0.1',
  port: 8080,
  allowPlaintext: true,
  auth: { hs256Secret: DEV_SECRET, anonymous: { enabled: true, roles: ['anonymous'] } },
  roles: {
    admin: ['*'],
    user: ['subscribe', 'publish', 'history', 'presence', 'typing', 'send'],
    anonymous: ['subscribe', 'publish', 'history', 'presence', 'typing', 'send'],
  },
  namespaces: {
    chat: { historySize: 100, recoverOnJoin: 20, presence: true, joinLeave: true, typing: true },
    feed: { historySize: 100, recoverOnJoin: 20, allowClientPublish: false, presence: false, joinLeave: false, typing: false, slowConsumerPolicy: 'drop' },
    doc: { historySize: 1000, recoverOnJoin: 0, presence: true, joinLeave: true, typing: false },
  },
  apiKeys: [DEV_API_KEY],
  log: { level: 'info', pretty: 'auto' },
}) as ServerConfigInput;

// ---------------------------------------------------------------------------------------------- loading

/** One problem in the configuration. */
export interface ConfigIssue {
  /** Dotted path, e.g. `namespaces.chat.historySize`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** Where the value came from: `config file x.json`, `SWITCHBOARD_PORT`, `--port`, ... */
  readonly source: string | undefined;
}

/** The configuration is invalid; `message` lists every issue, one per line, each naming its field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(`Cannot use the configuration:\n${issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.message}${i.source === undefined ? '' : ` (from ${i.source})`}`).join('\n')}`, options);
    this.issues = issues;
  }
}

type Plain = Record<string, unknown>;
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Merges `layer` into `target` (objects recursively; arrays and scalars replace), recording each leaf's source. */
function mergeLayer(target: Plain, layer: Plain, source: string, sources: Map<string, string>, prefix: string[] = []): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    if (RESERVED_KEYS.has(key)) throw new ConfigError([{ path: formatPath(path), message: 'reserved key', source }]);
    if (isPlain(value)) {
      const existing = Object.hasOwn(target, key) ? target[key] : undefined;
      const child: Plain = isPlain(existing) ? existing : {};
      target[key] = child;
      if (Object.keys(value).length === 0) sources.set(formatPath(path), source);
      mergeLayer(child, value, source, sources, path);
    } else {
      target[key] = value;
      sources.set(formatPath(path), source);
    }
  }
}

function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlain(next)) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1]!] = value;
}

type Def = { type: string; innerType?: unknown; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown; options?: unknown[]; out?: unknown; in?: unknown };
function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}
function unwrap(schema: unknown): unknown {
  let s = schema;
  for (let i = 0; i < 16; i++) {
    const d = defOf(s);
    if (d.type === 'default' || d.type === 'prefault' || d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else return s;
  }
  return s;
}

/**
 * Finds the schema of a path, turning environment-style segments (`HISTORY_SIZE`) into field names
 * (`historySize`); record keys (namespace and role names) are kept as written, lower-cased.
 */
function schemaAt(segments: readonly string[], lowerRecordKeys: boolean): { path: string[]; leaf: unknown } | null {
  let schema: unknown = ServerConfigSchema;
  const path: string[] = [];
  for (const raw of segments) {
    const node = unwrap(schema);
    const d = defOf(node);
    if (d.type === 'object' && d.shape !== undefined) {
      const wanted = raw.toLowerCase().replace(/[_-]/g, '');
      const key = Object.keys(d.shape).find((k) => k.toLowerCase() === wanted);
      if (key === undefined) return null;
      path.push(key);
      schema = d.shape[key];
    } else if (d.type === 'record') {
      path.push(lowerRecordKeys ? raw.toLowerCase() : raw);
      schema = d.valueType;
    } else {
      return null;
    }
  }
  return { path, leaf: schema };
}

/** Converts a string from the environment or a flag to the type the schema expects at that leaf. */
function coerce(leaf: unknown, raw: string): unknown {
  const node = unwrap(leaf);
  const d = defOf(node);
  const trimmed = raw.trim();
  if (trimmed === 'null' && defOf(leaf).type !== 'string') {
    let s = leaf;
    for (let i = 0; i < 16; i++) {
      const dd = defOf(s);
      if (dd.type === 'nullable') return null;
      if (dd.innerType === undefined) break;
      s = dd.innerType;
    }
  }
  switch (d.type) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
    case 'boolean':
      return trimmed === 'true' || trimmed === '1' ? true : trimmed === 'false' || trimmed === '0' ? false : raw;
    case 'array':
      if (trimmed.startsWith('[')) {
        try { return JSON.parse(trimmed) as unknown; } catch { return raw; }
      }
      return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'object':
    case 'record':
      try { return JSON.parse(trimmed) as unknown; } catch { return raw; }
    case 'union':
      if (trimmed === 'true') return true;
      if (trimmed === 'false') return false;
      return raw;
    default:
      return raw;
  }
}

function setting(segments: readonly string[], raw: string, source: string, out: Plain, sources: Map<string, string>, issues: ConfigIssue[]): void {
  const found = schemaAt(segments, source.startsWith('SWITCHBOARD_'));
  if (found === null) {
    issues.push({ path: segments.join('.'), message: 'unknown setting', source });
    return;
  }
  for (const key of found.path) {
    if (RESERVED_KEYS.has(key)) {
      issues.push({ path: found.path.join('.'), message: 'reserved key', source });
      return;
    }
  }
  setPath(out, found.path, coerce(found.leaf, raw));
  sources.set(formatPath(found.path), source);
}

/** Environment variables that are not settings. */
const ENV_NOT_SETTINGS = new Set(['SWITCHBOARD_CONFIG']);

/**
 * Reads `SWITCHBOARD_*` variables. Nesting uses a double underscore and words a single one:
 * `SWITCHBOARD_PORT=9000`, `SWITCHBOARD_LOG__LEVEL=debug`, `SWITCHBOARD_AUTH__HS256_SECRET=...`,
 * `SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE=50`, `SWITCHBOARD_ORIGINS=https://a.example,https://b.example`.
 */
function envLayer(env: Readonly<Record<string, string | undefined>>, sources: Map<string, string>, issues: ConfigIssue[]): Plain {
  const out: Plain = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith('SWITCHBOARD_') || ENV_NOT_SETTINGS.has(name) || value === undefined) continue;
    setting(name.slice('SWITCHBOARD_'.length).split('__'), value, name, out, sources, issues);
  }
  return out;
}

const FLAG_OPTIONS = {
  config: { type: 'string' },
  dev: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  broker: { type: 'string' },
  workers: { type: 'string' },
  origin: { type: 'string', multiple: true },
  'trust-proxy': { type: 'string', multiple: true },
  'public-key-file': { type: 'string' },
  'jwks-file': { type: 'string' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags of `switchboard serve`, for its help text. */
export const SERVE_FLAGS_HELP = [
  '  --config <file>          JSON config file (also SWITCHBOARD_CONFIG)',
  '  --dev                    start from the development config (anonymous chat, demo namespaces)',
  '  --host <addr>            listen address (default 127.0.0.1)',
  '  --port <n>               listen port (default 8080; 0 picks a free one)',
  '  --log-level <level>      fatal, error, warn, info, debug, trace or silent',
  '  --broker <url>           memory: (one process) or redis://host:port (several nodes or workers)',
  '  --workers <n>            worker processes on one port (node:cluster); n > 1 needs --broker redis://...',
  '  --origin <origin>        allowed browser origin (repeatable)',
  '  --trust-proxy <cidr>     proxy whose X-Forwarded-For names the client (repeatable)',
  '  --public-key-file <f>    PEM public key for RS256/ES256 tokens',
  '  --jwks-file <f>          JWKS file for RS256/ES256 tokens',
  '  --set <path=value>       any setting, e.g. --set limits.maxMessageSize=131072 (repeatable)',
  '  Environment: SWITCHBOARD_<PATH> with __ between levels, e.g. SWITCHBOARD_AUTH__HS256_SECRET, SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE',
].join('\n');

/**
 * Whether the arguments ask for help, checked before {@link loadConfig} so `--help` works with an invalid or
 * missing configuration.
 * @param argv command-line arguments
 * @returns true when `--help` or `-h` is present (before a `--` terminator)
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Command-line arguments after `serve` (unknown flags are errors). */
  readonly argv?: readonly string[];
  /** The environment. @default {} - pass `process.env` explicitly so tests stay hermetic */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
  /** Flags accepted besides the serve flags (e.g. token's `--sub`); they are returned in `extraFlags`, not applied. */
  readonly extraFlags?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
}

/** The result of {@link loadConfig}. */
export interface LoadedConfig {
  readonly config: ServerConfig;
  /** Where each explicitly set path came from (`config file ...`, env name, `--flag`); defaults are absent. */
  readonly sources: ReadonlyMap<string, string>;
  /** The config file read, if any. */
  readonly configFile: string | undefined;
  /** Whether `--help` was given. */
  readonly help: boolean;
  /** Values of `extraFlags`. */
  readonly extraFlags: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
}

/**
 * Loads the serve configuration: defaults (or {@link DEV_CONFIG} with `--dev`) < the JSON file of `--config` or
 * `SWITCHBOARD_CONFIG` < `SWITCHBOARD_*` variables < flags. In development mode without explicit origins, the page
 * origins of the final port (`http://localhost:<port>`, `http://127.0.0.1:<port>`) are allowed.
 * @param options arguments and environment
 * @returns the validated configuration and where each value came from
 * @throws ConfigError listing every problem with its field path, e.g.
 *   `namespaces.chat.historySize: expected a non-negative integer (from SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE)`
 * @example
 * ```ts
 * const { config } = await loadConfig({ argv: process.argv.slice(3), env: process.env });
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args: [...(options.argv ?? [])], options: { ...FLAG_OPTIONS, ...options.extraFlags }, strict: true, allowPositionals: false }).values;
  } catch (cause) {
    throw new ConfigError([{ path: '', message: cause instanceof Error ? cause.message : String(cause), source: 'command line' }], { cause });
  }

  const merged: Plain = {};
  if (flags['dev'] === true) mergeLayer(merged, structuredClone(DEV_CONFIG) as Plain, 'development defaults', new Map());

  const fileFlag = flags['config'];
  const configFile = typeof fileFlag === 'string' ? resolve(cwd, fileFlag) : env['SWITCHBOARD_CONFIG'] !== undefined && env['SWITCHBOARD_CONFIG'] !== '' ? resolve(cwd, env['SWITCHBOARD_CONFIG']) : undefined;
  if (configFile !== undefined) {
    const source = `config file ${configFile}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(configFile, 'utf8'));
    } catch (cause) {
      const message = cause instanceof SyntaxError ? `invalid JSON: ${cause.message}` : 'cannot read the file';
      throw new ConfigError([{ path: '', message, source }], { cause });
    }
    if (!isPlain(parsed)) throw new ConfigError([{ path: '', message: 'expected a JSON object', source }]);
    mergeLayer(merged, parsed, source, sources);
  }

  mergeLayer(merged, envLayer(env, sources, issues), '', new Map());

  const flagLayer: Plain = {};
  const flagSet = (segments: string[], raw: string, flag: string): void => setting(segments, raw, flag, flagLayer, sources, issues);
  if (typeof flags['host'] === 'string') flagSet(['host'], flags['host'], '--host');
  if (typeof flags['port'] === 'string') flagSet(['port'], flags['port'], '--port');
  if (typeof flags['log-level'] === 'string') flagSet(['log', 'level'], flags['log-level'], '--log-level');
  if (typeof flags['broker'] === 'string') flagSet(['broker', 'url'], flags['broker'], '--broker');
  if (typeof flags['workers'] === 'string') flagSet(['workers'], flags['workers'], '--workers');
  if (Array.isArray(flags['origin'])) {
    setPath(flagLayer, ['origins'], [...(flags['origin'] as string[])]);
    sources.set('origins', '--origin');
  }
  if (Array.isArray(flags['trust-proxy'])) {
    setPath(flagLayer, ['trustedProxies'], [...(flags['trust-proxy'] as string[])]);
    sources.set('trustedProxies', '--trust-proxy');
  }
  if (typeof flags['public-key-file'] === 'string') flagSet(['auth', 'publicKeyFile'], flags['public-key-file'], '--public-key-file');
  if (typeof flags['jwks-file'] === 'string') flagSet(['auth', 'jwksFile'], flags['jwks-file'], '--jwks-file');
  for (const assignment of (flags['set'] as string[] | undefined) ?? []) {
    const eq = assignment.indexOf('=');
    if (eq < 1) {
      issues.push({ path: assignment, message: 'expected --set path=value', source: '--set' });
      continue;
    }
    flagSet(assignment.slice(0, eq).split('.'), assignment.slice(eq + 1), `--set ${assignment.slice(0, eq)}`);
  }
  // Sources were recorded by setting(); merge without overwriting them.
  mergeLayer(merged, flagLayer, '', new Map());
  if (issues.length > 0) throw new ConfigError(issues);

  const result = ServerConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => {
      const path = formatPath(issue.path);
      let message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
      if (issue.code === 'invalid_key') message = `invalid key: ${issue.issues[0]?.message ?? 'not allowed here'}`;
      if (issue.code === 'unrecognized_keys') message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return { path, message, source: sourceOf(sources, issue.path) };
    }));
  }
  let config = result.data;
  if (config.mode === 'development' && !sources.has('origins') && config.origins.length === 0 && config.port !== 0) {
    config = { ...config, origins: [`http://localhost:${config.port}`, `http://127.0.0.1:${config.port}`] };
  }
  const extraFlags: Record<string, string | boolean | string[] | boolean[] | undefined> = {};
  for (const name of Object.keys(options.extraFlags ?? {})) extraFlags[name] = flags[name] as string | boolean | string[] | boolean[] | undefined;
  return { config, sources, configFile, help: flags['help'] === true, extraFlags };
}

function sourceOf(sources: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = sources.get(formatPath(path.slice(0, n)));
    if (found !== undefined) return found;
  }
  // An issue on an object (an unknown field) comes from whoever set something inside it.
  const prefix = formatPath(path);
  for (const [key, source] of sources) if (prefix !== '' && key.startsWith(`${prefix}.`)) return source;
  return undefined;
}

// ---------------------------------------------------------------------------------------------- helpers for serve/token

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ path: what, message: `cannot read "${file}"`, source: undefined }], { cause });
  }
}

/**
 * Builds the realtime authenticator's options from the configuration, reading key files.
 * @param config a loaded configuration
 * @returns options for `createAuthenticator`
 * @throws ConfigError when a key file cannot be read
 */
export async function authOptionsFrom(config: ServerConfig): Promise<AuthOptions> {
  const a = config.auth;
  const keys: AuthKey[] = [];
  if (a.hs256Secret !== undefined) keys.push({ type: 'secret', secret: a.hs256Secret });
  if (a.hs256SecretFile !== undefined) keys.push({ type: 'secret', secret: (await readText(a.hs256SecretFile, 'auth.hs256SecretFile')).trim() });
  if (a.publicKeyFile !== undefined) keys.push({ type: 'pem', pem: await readText(a.publicKeyFile, 'auth.publicKeyFile') });
  if (a.jwksFile !== undefined) keys.push({ type: 'jwks', jwks: parseJwks(await readText(a.jwksFile, 'auth.jwksFile'), a.jwksFile) });
  return {
    keys,
    clockToleranceMs: a.clockToleranceMs,
    maxTokenBytes: a.maxTokenBytes,
    rolesClaim: a.rolesClaim,
    infoClaim: a.infoClaim,
    ...(a.audience !== undefined ? { audience: a.audience } : {}),
    ...(a.issuer !== undefined ? { issuer: a.issuer } : {}),
    ...(a.anonymous.enabled ? { anonymousRoles: a.anonymous.roles } : {}),
  };
}

/**
 * The key `switchboard token` signs with: the private key file if configured, else the HS256 secret.
 * @param config a loaded configuration
 * @returns the signing key, or null when the configuration has no key that can sign
 * @throws ConfigError when a key file cannot be read
 */
export async function signingKeyFrom(config: ServerConfig): Promise<SigningKey | null> {
  const a = config.auth;
  if (a.privateKeyFile !== undefined) return { type: 'pem', pem: await readText(a.privateKeyFile, 'auth.privateKeyFile') };
  if (a.hs256Secret !== undefined) return { type: 'secret', secret: a.hs256Secret };
  if (a.hs256SecretFile !== undefined) return { type: 'secret', secret: (await readText(a.hs256SecretFile, 'auth.hs256SecretFile')).trim() };
  return null;
}

/**
 * The URLs a listening server announces.
 * @param config the configuration (host, paths, tls)
 * @param port the bound port (after listening, so port 0 is resolved)
 * @returns the page URL and the WebSocket URL
 */
export function listeningUrls(config: ServerConfig, port: number): { readonly http: string; readonly ws: string } {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const secure = config.tls !== null;
  return { http: `${secure ? 'https' : 'http'}://${host}:${port}/`, ws: `${secure ? 'wss' : 'ws'}://${host}:${port}${config.paths.ws}` };
}
