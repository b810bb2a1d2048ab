// CLI: the `ingest` connectors of `serve`: built from the configuration, counted in Prometheus metrics, logged, and
// reported in `/health` through a generic status contributor (the http layer knows nothing of ingest).
import { Counter, Gauge } from 'prom-client';
import type { Logger, Metrics, StatusContributor } from '../http/index.ts';
import { createConnectors, type IngestEntry, type IngestObserver, IngestRunner } from '../ingest/index.ts';
import type { RealtimeServer } from '../realtime/index.ts';

/** What `serve` holds of its ingest connectors. */
export interface ServeIngest {
  /** The `/health` entry (`ingest: { <name>: {...} }`) and the lag gauge refreshed at scrape time. */
  readonly contributor: StatusContributor;
  /** Builds and starts the connectors over the listening server. */
  start(hub: RealtimeServer): Promise<void>;
  /** Stops them: in-flight messages settle (publish and acknowledgement), then the sources disconnect. */
  close(): Promise<void>;
}

/**
 * Prepares the configured connectors (none when `ingest` is empty: nothing connects, no `/health` entry).
 * @param entries The validated `ingest` configuration.
 * @param metrics Prometheus metrics, or null.
 * @param logger The process logger.
 * @returns Their handle; `start` once the realtime server exists.
 */
export function serveIngest(entries: readonly IngestEntry[], metrics: Metrics | null, logger: Logger): ServeIngest {
  let runner: IngestRunner | null = null;
  const registers = metrics === null ? [] : [metrics.registry];
  const prefix = metrics?.prefix ?? 'switchboard_';
  const messages =
    metrics === null
      ? null
      : new Counter({
          name: `${prefix}ingest_messages_total`,
          help: 'Ingest messages by connector and outcome (received, published, duplicate, dead_lettered, error)',
          labelNames: ['connector', 'outcome'],
          registers,
        });
  const lag =
    metrics === null
      ? null
      : new Gauge({
          name: `${prefix}ingest_lag`,
          help: 'Messages the source reports as not yet delivered to the connector (where it can tell)',
          labelNames: ['connector'],
          registers,
        });
  const observer: IngestObserver = {
    counted: (connector, outcome) => messages?.inc({ connector, outcome }),
    deadLettered: (connector, reason, detail, position) =>
      logger.warn(
        { event: 'ingest_dead_letter', connector, reason, detail, position },
        `ingest ${connector}: message ${position} dead-lettered (${reason})`,
      ),
    paused: (connector, err) =>
      logger.warn(
        { event: 'ingest_paused', connector, err },
        `ingest ${connector}: publish refused, paused until the broker accepts again`,
      ),
    resumed: (connector, pausedMs) =>
      logger.info({ event: 'ingest_resumed', connector, pausedMs }, `ingest ${connector}: resumed`),
    failed: (connector, operation, err) =>
      logger.warn({ event: 'ingest_failed', connector, operation, err }, `ingest ${connector}: ${operation} failed`),
  };
  return {
    contributor: {
      name: 'ingest',
      health: () => runner?.status() ?? {},
      collect: () => {
        if (runner === null || lag === null) return;
        for (const [connector, s] of Object.entries(runner.status()))
          if (s.lag !== undefined) lag.set({ connector }, s.lag);
      },
    },
    async start(hub) {
      if (entries.length === 0) return;
      runner = new IngestRunner({ server: hub, connectors: createConnectors(entries), observer });
      await runner.start();
      logger.info(
        { event: 'ingest_started', connectors: entries.map((e) => `${e.name} (${e.source.kind})`) },
        'ingest connectors started',
      );
    },
    async close() {
      await runner?.close();
    },
  };
}
