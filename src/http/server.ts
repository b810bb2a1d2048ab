// HTTP: one http.Server (or https.Server) on one port: /ws, the chat page, the JSON API, /health, /ready, /metrics.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Permissions, RealtimeServer } from '../realtime/index.ts';
import { SignatureReplayGuard, Webhooks } from '../integrations/index.ts';
import { ApiKeys, type ApiSignatures, handleDisconnect, handlePublish, sendJson } from './api.ts';
import { DEFAULT_MAX_BATCH_ITEMS } from './batch-publish.ts';
import { devToken } from './dev-token.ts';
import { DocumentMetrics } from './metric-documents.ts';
import { WebhookMetrics } from './metric-webhooks.ts';
import { handleBan, handleBans, handleDelete, handleKick, handleUnban } from './moderation-api.ts';
import { createObserver } from './observer.ts';
import { healthAnswer, readyAnswer, serveMetrics } from './probes.ts';
import { loadStaticSite } from './static.ts';
import { handleHistory, handlePresence, type ReadsContext } from './reads-api.ts';
import { handleSseSubscribe, resolveSseOptions } from './sse-subscribe.ts';
import { createHttpTransports } from './transports/endpoints.ts';

import {
  DEFAULT_PATHS,
  type HttpPaths,
  type SwitchboardServer,
  type SwitchboardServerOptions,
} from './server-options.ts';

export type { HttpPaths, SwitchboardServer, SwitchboardServerOptions };

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
