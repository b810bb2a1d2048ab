// HTTP: structured logs (pino). JSON lines for machines, pretty on a terminal; tokens and cookies never written.
import type { IncomingMessage } from 'node:http';
import { pino, stdTimeFunctions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Query parameters that carry credentials; {@link redactUrl} removes them (OWASP: tokens in URLs reach logs). */
export const SECRET_QUERY_PARAMS: readonly string[] = [
  'token',
  'access_token',
  'id_token',
  'jwt',
  'api_key',
  'apikey',
  'key',
  // The HTTP transports' session ids (docs/protocol.md § 15): whoever holds an anonymous session's id can use it.
  'session',
];

/**
 * Paths pino censors in every log line, whatever the caller passed: credentials in headers, tokens and keys in
 * objects one level deep (docs/security-cases.md AU-10, OW-18).
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'headers["sec-websocket-protocol"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["sec-websocket-protocol"]',
  '*.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'token',
  'accessToken',
  'apiKey',
  'secret',
  'password',
  'cookie',
  'authorization',
  '*.token',
  '*.accessToken',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.cookie',
  '*.authorization',
];

/** Log levels accepted by {@link createLogger}. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerFactoryOptions {
  /**
   * @default 'info'
   */
  readonly level?: LogLevel;
  /**
   * Human-readable output through pino-pretty; `'auto'` pretty-prints only when stdout is a terminal.
   * @default 'auto' - JSON when piped to a collector, readable when a person runs `switchboard serve`
   */
  readonly pretty?: boolean | 'auto';
  /**
   * Where lines go; when set, `pretty` is ignored (tests capture output this way).
   * @default stdout
   */
  readonly destination?: DestinationStream;
  /**
   * Fields on every line.
   * @default { service: 'switchboard' } plus pid and hostname
   */
  readonly base?: Record<string, unknown>;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * Removes credential query parameters (and any fragment) from a URL or request target, keeping the other
 * parameters as written.
 * Names are compared after percent-decoding, the way `URLSearchParams` reads them, so `?%74oken=` goes too.
 * @param url a request target (`/ws?token=x`) or absolute URL; anything else is returned unchanged
 * @returns the URL without `token`, `access_token`, ... parameters
 * @example
 * ```ts
 * redactUrl('/ws?room=a&token=eyJ...'); // '/ws?room=a'
 * ```
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const kept = query.split('&').filter((pair) => {
    if (pair === '') return false;
    const eq = pair.indexOf('=');
    return !SECRET_QUERY_PARAMS.includes(decodeName(eq === -1 ? pair : pair.slice(0, eq)));
  });
  // A fragment never reaches a server in a request target, and in a logged absolute URL it may hold a token too.
  return kept.length === 0 ? url.slice(0, q) : `${url.slice(0, q)}?${kept.join('&')}`;
}

const SAFE_HEADERS = [
  'host',
  'origin',
  'user-agent',
  'x-forwarded-for',
  'x-request-id',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'content-type',
  'content-length',
];

/**
 * The request fields worth logging: method, URL without credentials, remote address, and an allowlist of headers
 * (never `Authorization`, `Cookie` or `Sec-WebSocket-Protocol`, which some clients use to carry tokens).
 * @param req an incoming request (only `method`, `url`, `headers` and `socket.remoteAddress` are read)
 * @returns a plain object for a log line
 */
export function serializeRequest(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'> & { socket?: { remoteAddress?: string | undefined } | null },
): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const name of SAFE_HEADERS) {
    const v = req.headers[name];
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    method: req.method,
    url: redactUrl(req.url ?? ''),
    remoteAddress: req.socket?.remoteAddress,
    headers,
  };
}

/**
 * Builds the server's logger.
 * @param options level, output and pretty-printing
 * @returns a pino logger; use `logger.child({ conn: id })` per connection
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug' });
 * log.info({ req: serializeRequest(req) }, 'upgrade');
 * ```
 */
export function createLogger(options: LoggerFactoryOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'switchboard', pid: process.pid, ...options.base },
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    serializers: {
      req: (req: unknown) =>
        req !== null && typeof req === 'object' && 'headers' in req ? serializeRequest(req as IncomingMessage) : req,
      url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
      err: pino.stdSerializers.err,
    },
  };
  if (options.destination !== undefined) return pino(config, options.destination);
  const pretty =
    options.pretty === 'auto' || options.pretty === undefined ? process.stdout.isTTY === true : options.pretty;
  if (pretty)
    return pino({
      ...config,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  return pino(config);
}

export type { Logger };
