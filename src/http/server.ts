// HTTP: one http.Server (or https.Server) on one port: /ws, the chat page, the JSON API, /health, /ready, /metrics.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ProxyHealth } from '../integrations/index.ts';
import { Permissions, RealtimeServer, type RealtimeServerOptions, type SigningKey } from '../realtime/index.ts';
import { SignatureReplayGuard, type WebhookEndpointOptions, Webhooks } from '../integrations/index.ts';
import { ApiKeys, type ApiSignatures, handleDisconnect, handlePublish, sendJson } from './api.ts';
import { DEFAULT_MAX_BATCH_ITEMS } from './batch-publish.ts';
import { devToken } from './dev-token.ts';
import { DocumentMetrics } from './metric-documents.ts';
import { WebhookMetrics } from './metric-webhooks.ts';
import { handleBan, handleBans, handleDelete, handleKick, handleUnban } from './moderation-api.ts';
import type { Metrics } from './metrics.ts';
import { createObserver } from './observer.ts';
import { healthAnswer, readyAnswer, serveMetrics, type StatusContributor } from './probes.ts';
import { loadStaticSite, type StaticSite } from './static.ts';
import { handleHistory, handlePresence, type ReadsContext } from './reads-api.ts';
import { handleSseSubscribe, resolveSseOptions, type SseSubscribeOptions } from './sse-subscribe.ts';
import { createHttpTransports, type HttpTransportEndpoints } from './transports/endpoints.ts';
import type { HttpTransportOptions } from './transports/options.ts';

/** Paths of the endpoints. */
export interface HttpPaths {
  readonly ws: string;
  readonly publish: string;
  readonly disconnect: string;
  readonly stats: string;
  readonly health: string;
  readonly ready: string;
  readonly metrics: string;
}

/** Options of {@link createSwitchboardServer}. */
export interface SwitchboardServerOptions {
  /** The real-time server's options, minus where it listens (the HTTP server decides). */
  readonly realtime: Omit<RealtimeServerOptions, 'server' | 'port' | 'host' | 'path' | 'observer'>;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Serve https:// and wss:// with this PEM certificate chain and key (TLS 1.2 and later).
   * @default null: plain http:// and ws://, for a TLS-terminating proxy in front
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | null;
  /**
   * How connections reach the WebSocket handshake (the engine's `acceptPath`): `'net'` reads each
   * connection's first request with the engine's own parser and hands every plain HTTP request
   * (API, pages, `/health`, `/metrics`) to this server's http.Server unchanged; `'http'` lets Node
   * parse everything and attaches to its `upgrade` event.
   * @default 'net' for plain http:// (less memory and CPU per WebSocket connection); always 'http' with `tls`
   */
  readonly acceptPath?: 'http' | 'net';
  /** @default the paths of src/cli/config.ts */
  readonly paths?: Partial<HttpPaths>;
  /** API keys of `POST /api/publish` and `POST /api/disconnect`; none configured refuses every call with 401. @default [] */
  readonly apiKeys?: readonly string[];
  /**
   * Largest API request body, in bytes.
   * @default 1048576 (1 MiB): far above a publication, small enough that a flood of bodies stays cheap
   */
  readonly maxBodyBytes?: number;
  /**
   * Largest batch of `POST /api/publish` with a JSON array; a longer one is refused with 413 `too_many_items`.
   * @default 100: one request's publishing stays short (one broker write per item) while saving most of the per-request overhead
   */
  readonly maxBatchItems?: number;
  /**
   * Time a client has to send a whole request (headers and body); Node then answers 408 and closes.
   * @default 10000: Node's own default is 300 s, which lets a slow-body client hold a socket for minutes (docs/security-cases.md OP-02)
   */
  readonly requestTimeoutMs?: number;
  /** Origins that may call the API from a browser (CORS); unlisted origins get no `Access-Control-Allow-Origin`. @default [] */
  readonly corsOrigins?: readonly string[];
  /** `/ready` answers 503 at or above this many connections. @default Infinity */
  readonly maxConnections?: number;
  /** Serve the chat page from this folder; null disables it. @default the package's web/ folder */
  readonly webRoot?: string | null;
  /**
   * Development only: `POST /api/dev-token` `{"user":"alice"}` mints a one-hour token with role `user`, so the chat page
   * can show names. Never enable it in production: anyone could become anyone.
   * @default null (off)
   */
  readonly devTokenKey?: SigningKey | null;
  /** The claim dev tokens carry the user id in; match the authenticator's `userIdClaim`. @default 'sub' */
  readonly devTokenUserIdClaim?: string;
  readonly metrics?: Metrics | null;
  readonly logger?: Logger | null;
  /**
   * Secret of signed API requests (`Switchboard-Signature` over `t.METHOD.target.body`, docs/webhooks.md), accepted
   * instead of an API key; several during a rotation.
   * @default null: API keys only
   */
  readonly apiSecret?: string | readonly string[] | null;
  /**
   * Signed API requests remembered to refuse replays (their window is 300 s); when full, new signed requests get 503.
   * @default 100000 - see `SignatureReplayGuard`
   */
  readonly maxRememberedSignatures?: number;
  /** Webhook endpoints fed by the real-time server's events. @default [] */
  readonly webhooks?: readonly WebhookEndpointOptions[];
  /** The backend proxy (`createHttpProxy`) among the realtime logic: its breakers show in `/health` and `/metrics`. @default null */
  readonly proxy?: { health(): ProxyHealth } | null;
  /**
   * More parts of the process that report in `/health` (under their `name`) and refresh their metrics before a
   * `/metrics` scrape (the ingest connectors, wired by the CLI). @default []
   */
  readonly statusContributors?: readonly StatusContributor[];
  /** Plain EventSource subscriptions at `GET /sse` (docs/protocol.md § 15.4): their `retry:` and keepalive periods. @default {} */
  readonly sse?: SseSubscribeOptions;
  /**
   * The HTTP emulated sessions for clients whose WebSocket is blocked (`/http/stream`, `/http/poll`, `/http/send`,
   * docs/protocol.md § 15). @default enabled, with the defaults of {@link HttpTransportOptions}
   */
  readonly httpTransports?: HttpTransportOptions;
}

/** A running server. */
export interface SwitchboardServer {
  readonly http: http.Server | https.Server;
  readonly hub: RealtimeServer;
  readonly site: StaticSite | null;
  /** Webhook delivery, when endpoints are configured. */
  readonly webhooks: Webhooks | null;
  /** The HTTP emulated sessions (docs/protocol.md § 15), null when disabled. */
  readonly httpTransports: HttpTransportEndpoints | null;
  /** Resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Drains the real-time server (503 on /ready at once), then stops the HTTP server. Repeated calls share the promise. */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

const DEFAULT_PATHS: HttpPaths = {
  ws: '/ws',
  publish: '/api/publish',
  disconnect: '/api/disconnect',
  stats: '/api/stats',
  health: '/health',
  ready: '/ready',
  metrics: '/metrics',
};

/**
 * Builds the HTTP server with the real-time server attached at `paths.ws`.
 * @param options Everything the endpoints need.
 * @returns The server, not yet listening.
 * @example
 * ```ts
 * const server = await createSwitchboardServer({ realtime: { broker, namespaces, authenticator }, port: 8080 });
 * await server.listen();
 * ```
 */
export async function createSwitchboardServer(options: SwitchboardServerOptions): Promise<SwitchboardServer> {
  const paths: HttpPaths = { ...DEFAULT_PATHS, ...options.paths };
  const sse = resolveSseOptions(options.sse);
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const httpOptions: http.ServerOptions = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 10_000),
    // Node checks the two timeouts on this period (30 s by default), which would make a 10 s timeout a 40 s one.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    maxHeaderSize: 16 * 1024,
  };
  const tls = options.tls ?? null;
  // The TLS handshake gets the same deadline as the request head: a client that never finishes it holds nothing long.
  const server =
    tls === null
      ? http.createServer(httpOptions)
      : https.createServer({
          ...httpOptions,
          cert: tls.cert,
          key: tls.key,
          minVersion: 'TLSv1.2',
          handshakeTimeout: Math.min(requestTimeoutMs, 10_000),
        });
  const metrics = options.metrics ?? null;
  const logger = options.logger ?? null;
  const proxy = options.proxy ?? null;
  const contributors = options.statusContributors ?? [];
  // One Permissions for the hub and the HTTP reads, so that both decide alike.
  const permissions = options.realtime.permissions ?? new Permissions(options.realtime.namespaces);
  const hub = new RealtimeServer({
    ...options.realtime,
    permissions,
    // The net path reads plain TCP only: over TLS, Node's https.Server parses every request.
    engine: { ...options.realtime.engine, acceptPath: tls === null ? (options.acceptPath ?? 'net') : 'http' },
    server,
    path: paths.ws,
    observer: createObserver(metrics, logger),
  });
  const site = options.webRoot === null ? null : await loadStaticSite(options.webRoot);
  const keys = new ApiKeys(options.apiKeys ?? []);
  const apiSecret = options.apiSecret ?? null;
  const signatures: ApiSignatures | null =
    apiSecret === null || apiSecret.length === 0
      ? null
      : {
          secrets: apiSecret,
          replays: new SignatureReplayGuard(
            options.maxRememberedSignatures === undefined ? {} : { maxEntries: options.maxRememberedSignatures },
          ),
        };
  const webhookMetrics = metrics === null ? null : new WebhookMetrics(metrics.registry, metrics.prefix);
  const documentMetrics = metrics === null ? null : new DocumentMetrics(metrics.registry, metrics.prefix);
  const webhooks =
    (options.webhooks ?? []).length === 0
      ? null
      : new Webhooks(hub.events, {
          endpoints: options.webhooks ?? [],
          ...(webhookMetrics === null ? {} : { observer: webhookMetrics }),
          onError: (err) => logger?.error({ event: 'webhook_error', err }, 'webhook event dropped'),
        });
  const cors = new Set((options.corsOrigins ?? []).map((o) => o.toLowerCase()));
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxBatchItems = options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
  if (!Number.isSafeInteger(maxBatchItems) || maxBatchItems < 1)
    throw new RangeError(`Cannot use maxBatchItems "${maxBatchItems}": expected a whole number of 1 or more`);
  const maxConnections = options.maxConnections ?? Infinity;
  const startedAt = Date.now();
  const reads: ReadsContext = {
    hub,
    keys,
    signatures,
    authenticator: options.realtime.authenticator,
    permissions,
    namespaces: options.realtime.namespaces,
  };
  // docs/protocol.md § 15: SSE and long-polling sessions, forwarded between nodes through the broker.
  const transports = createHttpTransports(hub, options.httpTransports, {
    maxBodyBytes,
    allowedOrigins: options.realtime.originPolicy?.allowed ?? new Set(),
    metrics,
    logger,
  });
  const metricContributors = transports.metrics === null ? contributors : [...contributors, transports.metrics];

  const corsHeaders = (req: http.IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    // docs/security-cases.md OP-03: no wildcard, nothing for unlisted origins.
    if (typeof origin !== 'string' || !cors.has(origin.toLowerCase())) return {};
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    // First, before the closures below are made: every long poll comes this way.
    if (transports.endpoints?.handles(pathname)) {
      await transports.endpoints.handle(req, res, pathname);
      return;
    }
    const method = req.method ?? 'GET';
    const only = (allowed: string[]): boolean => {
      if (allowed.includes(method)) return true;
      req.resume();
      sendJson(
        res,
        {
          status: 405,
          body: { error: 'method_not_allowed', message: `Use ${allowed.join(' or ')}` },
          headers: { Allow: allowed.join(', ') },
        },
        corsHeaders(req),
      );
      return false;
    };
    if (method === 'OPTIONS' && pathname.startsWith('/api/')) {
      const allowed = corsHeaders(req);
      res.writeHead(
        204,
        Object.keys(allowed).length === 0
          ? {}
          : {
              ...allowed,
              'Access-Control-Allow-Methods': 'GET, POST',
              'Access-Control-Allow-Headers': 'Authorization, X-API-Key, Content-Type',
              'Access-Control-Max-Age': '600',
            },
      );
      res.end();
      return;
    }
    switch (pathname) {
      // Plain EventSource subscriptions and the HTTP reads (docs/protocol.md § 15.4, docs/http-api.md).
      case '/sse':
        if (only(['GET'])) await handleSseSubscribe(req, res, { hub, namespaces: reads.namespaces, options: sse });
        return;
      case '/api/history':
        if (only(['GET'])) sendJson(res, await handleHistory(req, reads), corsHeaders(req));
        return;
      case '/api/presence':
        if (only(['GET'])) sendJson(res, await handlePresence(req, reads), corsHeaders(req));
        return;
      case paths.publish:
        if (only(['POST']))
          sendJson(
            res,
            await handlePublish(req, hub, { keys, maxBodyBytes, signatures, maxBatchItems }),
            corsHeaders(req),
          );
        return;
      case paths.disconnect:
        if (only(['POST']))
          sendJson(res, await handleDisconnect(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case paths.stats:
        if (only(['GET', 'HEAD']))
          sendJson(res, { status: 200, body: { ...hub.stats(), broker: hub.broker.name } }, corsHeaders(req));
        return;
      case paths.health:
        if (only(['GET', 'HEAD'])) sendJson(res, await healthAnswer(hub, startedAt, webhooks, proxy, contributors));
        return;
      case paths.ready:
        if (only(['GET', 'HEAD'])) sendJson(res, readyAnswer(hub, maxConnections));
        return;
      case paths.metrics:
        if (only(['GET', 'HEAD']))
          await serveMetrics(res, method, {
            hub,
            metrics,
            webhooks,
            webhookMetrics,
            documentMetrics,
            proxy,
            contributors: metricContributors,
          });
        return;
      case '/api/delete':
        if (only(['POST']))
          sendJson(res, await handleDelete(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case '/api/ban':
        if (only(['POST']))
          sendJson(res, await handleBan(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case '/api/unban':
        if (only(['POST']))
          sendJson(res, await handleUnban(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case '/api/bans':
        if (only(['GET']))
          sendJson(res, await handleBans(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case '/api/kick':
        if (only(['POST']))
          sendJson(res, await handleKick(req, hub, { keys, maxBodyBytes, signatures }), corsHeaders(req));
        return;
      case '/api/dev-token':
        if (options.devTokenKey == null) break;
        if (only(['POST']))
          sendJson(res, await devToken(req, options.devTokenKey, maxBodyBytes, options.devTokenUserIdClaim ?? 'sub'));
        return;
      default:
        break;
    }
    // The pages are for end users: a denied address gets 403, like at the WebSocket handshake (docs/moderation.md).
    if (
      site !== null &&
      hub.moderation.isDeniedRequest(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'])
    ) {
      req.resume();
      sendJson(res, { status: 403, body: { error: 'forbidden', message: 'This address is not allowed' } });
      return;
    }
    if (site !== null && (method === 'GET' || method === 'HEAD') && site.serve(req, res, pathname)) return;
    req.resume();
    sendJson(res, { status: 404, body: { error: 'not_found', message: 'Not found' } });
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    route(req, res).catch((err: unknown) => {
      logger?.error({ event: 'http_error', err }, 'request failed');
      // docs/security-cases.md OP-05: a generic message, never a stack trace.
      sendJson(res, { status: 500, body: { error: 'internal', message: 'Internal server error' } });
    });
  });
  server.on('clientError', (err: Error & { code?: string }, socket) => {
    // Node's own answers, kept: 408 for a request slower than requestTimeout, 431 for oversized headers.
    const status =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  let closing: Promise<void> | null = null;
  return {
    http: server,
    hub,
    site,
    webhooks,
    httpTransports: transports.endpoints,
    listen: () =>
      new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close(closeOptions = {}) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => {
          if (!server.listening) resolve();
          else server.close(() => resolve());
        });
        await hub.drain(closeOptions.timeoutMs === undefined ? {} : { timeoutMs: closeOptions.timeoutMs });
        await transports.endpoints?.close();
        // The drain's last events (leaves, vacated) are queued by now: flush them within the same deadline.
        await webhooks?.close(closeOptions.timeoutMs === undefined ? {} : { timeoutMs: closeOptions.timeoutMs });
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), closeOptions.timeoutMs ?? 5000);
        timer.unref();
        await stopped;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
