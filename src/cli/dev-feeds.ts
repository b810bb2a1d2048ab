// CLI: the live demo feeds of `serve --dev` (`npm start`): simulated prices and weather published into the `feed`
// namespace by the ingest runner, for the /dashboard page. Production mode starts none of this.
import { IngestConfigSchema, type IngestEntry } from '../ingest/index.ts';

/**
 * The demo feeds `serve --dev` starts: 20 symbols into `feed:prices.<SYMBOL>` every second, 5 cities into
 * `feed:weather.<city>` every 5 s, each keyed by its symbol or city. The same entries the serve config's `ingest`
 * setting takes, run by the same runner (idempotency, metrics, `/health`).
 */
export const DEV_INGEST = Object.freeze([
  {
    name: 'demo-prices',
    source: { kind: 'demo', generator: 'prices' },
    channel: 'feed:prices.{payload.symbol}',
    key: '{payload.symbol}',
  },
  {
    name: 'demo-weather',
    source: { kind: 'demo', generator: 'weather' },
    channel: 'feed:weather.{payload.city}',
    key: '{payload.city}',
  },
] as const);

/**
 * The ingest entries a node runs: the configured ones, plus in development the demo feeds whose names the
 * configuration does not already use.
 * @param configured The validated `ingest` setting.
 * @param development Whether the node runs in development mode.
 * @returns The validated entries to start.
 */
export function ingestEntriesFor(configured: readonly IngestEntry[], development: boolean): readonly IngestEntry[] {
  if (!development) return configured;
  const taken = new Set(configured.map((entry) => entry.name));
  const demo = IngestConfigSchema.parse(DEV_INGEST.filter((entry) => !taken.has(entry.name)));
  return [...configured, ...demo];
}
