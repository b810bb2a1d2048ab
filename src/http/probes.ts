// HTTP: what operators and orchestrators poll: `/health` (alive, with broker and queue state), `/ready` (take traffic?)
// and `/metrics` (Prometheus text).
import type http from 'node:http';
import type { ProxyHealth, Webhooks } from '../integrations/index.ts';
import type { RealtimeServer } from '../realtime/index.ts';
import { type JsonAnswer, sendJson } from './api.ts';
import type { DocumentMetrics } from './metric-documents.ts';
import type { WebhookMetrics } from './metric-webhooks.ts';
import type { Metrics } from './metrics.ts';

/** A part of the process with an entry in `/health` and, optionally, gauges to refresh at scrape time. */
export interface StatusContributor {
  /** The key of its entry in the `/health` body (`ingest`). */
  readonly name: string;
  /** Its entry: plain JSON data. */
  health(): unknown;
  /** Called before `/metrics` renders: set gauges read at scrape time. */
  collect?(): void;
}

/** The `/health` answer: always 200 while the process serves; the broker's, webhooks' and proxy's state in the body. */
export async function healthAnswer(
  hub: RealtimeServer,
  startedAt: number,
  webhooks: Webhooks | null,
  proxy: { health(): ProxyHealth } | null,
  contributors: readonly StatusContributor[] = [],
): Promise<JsonAnswer> {
  const broker = await hub.broker.health();
  // docs/architecture.md Operations: /health says the process is alive; a broker outage shows in the body, not the status.
  return {
    status: 200,
    body: {
      status: 'ok',
      uptimeMs: Date.now() - startedAt,
      broker: { name: hub.broker.name, ...broker },
      ...hub.stats(),
      ...(webhooks === null ? {} : { webhooks: webhooks.health() }),
      ...(proxy === null ? {} : { proxy: proxy.health() }),
      ...Object.fromEntries(contributors.map((c) => [c.name, c.health()])),
    },
  };
}

/** The `/ready` answer: 503 with a reason while draining or at the connection cap. */
export function readyAnswer(hub: RealtimeServer, maxConnections: number): JsonAnswer {
  const reason = hub.draining ? 'draining' : hub.connectionCount >= maxConnections ? 'connection_cap' : null;
  return reason === null
    ? { status: 200, body: { ready: true } }
    : { status: 503, body: { ready: false, reason }, headers: { 'Retry-After': '5' } };
}

/** Answers `/metrics`: the gauges read at scrape time, then the registry's text (404 when metrics are disabled). */
export async function serveMetrics(
  res: http.ServerResponse,
  method: string,
  sources: {
    readonly hub: RealtimeServer;
    readonly metrics: Metrics | null;
    readonly webhooks: Webhooks | null;
    readonly webhookMetrics: WebhookMetrics | null;
    readonly documentMetrics: DocumentMetrics | null;
    readonly proxy: { health(): ProxyHealth } | null;
    readonly contributors?: readonly StatusContributor[];
  },
): Promise<void> {
  const { hub, metrics, webhooks, webhookMetrics, documentMetrics, proxy } = sources;
  if (metrics === null) {
    sendJson(res, { status: 404, body: { error: 'not_found', message: 'Metrics are disabled' } });
    return;
  }
  const stats = hub.stats();
  metrics.setSubscriptions(Number(stats['subscriptions']), Number(stats['channels']));
  // Broker status at scrape time (a Redis PING, bounded by the broker's command timeout; never rejects).
  metrics.setBroker(await hub.broker.health());
  if (webhooks !== null) webhookMetrics?.setQueues(webhooks.health());
  documentMetrics?.set(hub.documents.stats());
  if (proxy !== null) metrics.setProxy(proxy.health());
  for (const c of sources.contributors ?? []) c.collect?.();
  const text = await metrics.render();
  res.writeHead(200, {
    'Content-Type': metrics.contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : text);
}
