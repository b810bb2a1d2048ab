// CLI: the live demo feeds of `serve --dev` (`npm start`): simulated prices and weather published into the `feed`
// namespace, for the /dashboard page. Production mode starts none of this.
import { BrokerError } from '../broker/index.ts';
import { createDemoSource, type Source, type SourceMessage } from '../ingest/index.ts';
import type { JsonValue } from '../messages/index.ts';
import type { RealtimeServer } from '../realtime/index.ts';

/** One ingest mapping of the development configuration, in the shape of the serve config's `ingest` entries. */
export interface DevIngestEntry {
  readonly name: string;
  readonly source: { readonly kind: 'demo'; readonly generator: 'prices' | 'weather'; readonly intervalMs?: number };
  /** Channel template: `{payload.<field>}` is replaced by that field of the JSON payload. */
  readonly channel: string;
  /** Feed key template (latest per key), same syntax. */
  readonly key: string;
}

/**
 * The demo feeds `serve --dev` starts: 20 symbols into `feed:prices.<SYMBOL>` every second, 5 cities into
 * `feed:weather.<city>` every 5 s, each keyed by its symbol or city. The same entries the serve config's `ingest`
 * setting takes, so the ingest runner can take them over unchanged.
 */
export const DEV_INGEST: readonly DevIngestEntry[] = Object.freeze([
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
]);

/** Where the dev feeds report a message they had to drop (a bad template, a refused channel). */
export interface DevFeedsLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** The started feeds; `close()` stops them and waits for the publications in flight. */
export interface DevFeeds {
  readonly sources: readonly Source[];
  close(): Promise<void>;
}

/**
 * Renders a `{payload.field}` template against a decoded payload.
 * @returns The text, or null when a field is missing or not a string or number.
 */
export function renderPayloadTemplate(template: string, payload: unknown): string | null {
  let missing = false;
  const text = template.replace(/\{payload\.([A-Za-z0-9_]+)\}/g, (_, field: string) => {
    const value =
      typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[field] : undefined;
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    missing = true;
    return '';
  });
  return missing ? null : text;
}

/**
 * Starts the demo sources of `entries` and publishes their messages through `hub.publish` (idempotency id
 * `<name>:<position>`, feed key), acknowledging each after the broker stored it; a broker refusal retries the
 * message (the source waits and delivers it again), anything else is dropped with a warning.
 *
 * A stand-in for the ingest runner (src/ingest/runner.ts), which does the same with codecs, metrics and `/health`:
 * once it exists, `serve` hands it {@link DEV_INGEST} instead of calling this.
 * @param hub The real-time server.
 * @param entries The mappings (default {@link DEV_INGEST}).
 * @param logger Where dropped messages are reported.
 */
export async function startDevFeeds(
  hub: RealtimeServer,
  logger: DevFeedsLogger,
  entries: readonly DevIngestEntry[] = DEV_INGEST,
): Promise<DevFeeds> {
  const decoder = new TextDecoder();
  const sources: Source[] = [];
  for (const entry of entries) {
    const source = createDemoSource(entry.name, entry.source);
    const deliver = async (message: SourceMessage): Promise<void> => {
      const data = JSON.parse(decoder.decode(message.payload)) as JsonValue;
      const channel = renderPayloadTemplate(entry.channel, data);
      const key = renderPayloadTemplate(entry.key, data);
      if (channel === null || key === null) {
        logger.warn({ event: 'dev_feed_dropped', connector: entry.name, subject: message.subject }, 'no channel');
        return message.deadLetter('no_channel');
      }
      try {
        await hub.publish(channel, data, { id: `${entry.name}:${message.position}`, key });
      } catch (err) {
        if (err instanceof BrokerError) return message.retry();
        logger.warn({ event: 'dev_feed_dropped', connector: entry.name, channel, err }, 'publish refused');
        return message.deadLetter('refused');
      }
      await message.ack();
    };
    await source.start(deliver);
    sources.push(source);
  }
  return {
    sources,
    close: async () => {
      await Promise.all(sources.map((s) => s.close()));
    },
  };
}
