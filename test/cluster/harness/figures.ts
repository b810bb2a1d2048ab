// Test harness: a paced publish stream and the tally every fault test reports (published, acknowledged, delivered,
// lost, duplicated), appended to test-artifacts/cluster/figures.jsonl for the closing notes and README figures.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterClient } from './client.ts';
import { ROOT } from './templates.ts';

/** What a publish stream did. */
export interface Stream {
  /** Publish attempts. */
  attempted: number;
  /** Message ids acknowledged by the server, with their offset. */
  readonly acked: Map<string, number>;
  /** Ids that got an error (not acknowledged), and the error codes counted. */
  readonly failed: Set<string>;
  readonly errors: Map<string, number>;
  /** Resolves when the stream has finished. */
  done: Promise<void>;
  /** Publishes sent again with the same id after a failure (only with `retry`). */
  retries: number;
}

/** Failures after which the same message id is sent again when a stream retries (docs/protocol.md §8). */
const RETRYABLE = new Set(['closed', 'timeout', 'broker_unavailable', 'internal']);

/**
 * Publishes `count` messages `${prefix}-<n>` into `channel`, one every `intervalMs` (each awaited, so a slow broker
 * slows the stream instead of piling up requests). `onIndex(n)` runs before message n (to inject a fault).
 */
export function publishStream(
  client: ClusterClient,
  channel: string,
  options: {
    count: number;
    intervalMs: number;
    prefix: string;
    onIndex?: (n: number) => void | Promise<void>;
    retry?: boolean;
  },
): Stream {
  const stream: Stream = {
    attempted: 0,
    acked: new Map(),
    failed: new Set(),
    errors: new Map(),
    done: Promise.resolve(),
    retries: 0,
  };
  stream.done = (async () => {
    for (let n = 0; n < options.count; n++) {
      await options.onIndex?.(n);
      const id = `${options.prefix}-${n}`;
      stream.attempted++;
      let r = await client.publish(channel, { n }, id);
      // With retry, a failed publish is sent again with the same id until acknowledged (for at most 20 s, 100 ms apart):
      // the server's deduplication must make it count once.
      const giveUpAt = Date.now() + 20_000;
      while (options.retry === true && !r.ok && RETRYABLE.has(r.code) && Date.now() < giveUpAt) {
        stream.errors.set(r.code, (stream.errors.get(r.code) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        stream.retries++;
        r = await client.publish(channel, { n }, id);
      }
      if (r.ok) stream.acked.set(id, r.offset);
      else {
        stream.failed.add(id);
        stream.errors.set(r.code, (stream.errors.get(r.code) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
  })();
  return stream;
}

/** The figures of one scenario. */
export interface Figures {
  readonly scenario: string;
  readonly proxy: string;
  readonly subscribers: number;
  readonly published: number;
  readonly acknowledged: number;
  readonly errors: Record<string, number>;
  /** Deliveries of acknowledged messages, over all subscribers (expected: acknowledged × subscribers). */
  readonly delivered: number;
  /** Acknowledged messages a subscriber never got, summed over subscribers. */
  readonly lost: number;
  /** Extra copies received, summed over subscribers. */
  readonly duplicated: number;
  /** Deliveries of messages that got an error reply (stored although the reply failed, e.g. a timeout): not a loss. */
  readonly deliveredUnacknowledged: number;
  /** Deliveries that came from history in a `subscribed` answer (recovery after a reconnect) rather than live. */
  readonly recoveredDeliveries: number;
  /** Subscribers that saw offsets go backwards or skip within one epoch. */
  readonly outOfOrder: number;
  /** The first few order breaks: who, which offset after which, and whether each came live or recovered. */
  readonly orderBreaks: string[];
  readonly reconnects: number;
  readonly unrecovered: number;
  readonly extra?: Record<string, unknown>;
}

/** Counts what each subscriber received of the stream's ids on `channel`. */
export function tally(
  scenario: string,
  proxy: string,
  stream: Stream,
  subscribers: readonly ClusterClient[],
  channel: string,
  extra?: Record<string, unknown>,
): Figures {
  let delivered = 0;
  let lost = 0;
  let duplicated = 0;
  let deliveredUnacknowledged = 0;
  let outOfOrder = 0;
  let recoveredDeliveries = 0;
  const orderBreaks: string[] = [];
  for (const c of subscribers) {
    const counts = new Map<string, number>();
    let last: { epoch: string; offset: number; recovered: boolean } | null = null;
    let ordered = true;
    for (const r of c.received) {
      if (r.channel !== channel || r.id === undefined) continue;
      counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
      if (r.recovered) recoveredDeliveries++;
      if (last !== null && last.epoch === r.epoch && r.offset !== last.offset + 1) {
        ordered = false;
        if (orderBreaks.length < 5) {
          orderBreaks.push(
            `${c.options.user}: ${r.offset}${r.recovered ? 'r' : ''} after ${last.offset}${last.recovered ? 'r' : ''} (reconnects ${c.reconnects}, closes ${c.closeCodes.join('/')})`,
          );
        }
      }
      last = { epoch: r.epoch, offset: r.offset, recovered: r.recovered };
    }
    if (!ordered) outOfOrder++;
    for (const [id, n] of counts) {
      if (n > 1) duplicated += n - 1;
      if (stream.acked.has(id)) delivered++;
      else if (stream.failed.has(id)) deliveredUnacknowledged++;
    }
    for (const id of stream.acked.keys()) if (!counts.has(id)) lost++;
  }
  return {
    scenario,
    proxy,
    subscribers: subscribers.length,
    published: stream.attempted,
    acknowledged: stream.acked.size,
    errors: Object.fromEntries(stream.errors),
    delivered,
    lost,
    duplicated,
    deliveredUnacknowledged,
    recoveredDeliveries,
    outOfOrder,
    orderBreaks,
    reconnects: subscribers.reduce((s, c) => s + c.reconnects, 0),
    unrecovered: subscribers.reduce((s, c) => s + c.unrecovered, 0),
    ...(extra === undefined ? {} : { extra }),
  };
}

/** Appends the figures to test-artifacts/cluster/figures.jsonl (one JSON object per line). */
export function record(figures: Figures): void {
  const dir = join(ROOT, 'test-artifacts', 'cluster');
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'figures.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`);
}

/** Waits until every subscriber holds every acknowledged id of the stream (or `timeoutMs` passes: the tally then shows the loss). */
export async function settle(
  stream: Stream,
  subscribers: readonly ClusterClient[],
  channel: string,
  timeoutMs = 15_000,
): Promise<void> {
  const ids = [...stream.acked.keys()];
  await Promise.allSettled(
    subscribers.map((c) =>
      c.until(
        'every acknowledged message',
        () => {
          const got = new Set(c.received.filter((r) => r.channel === channel).map((r) => r.id));
          return ids.every((id) => got.has(id));
        },
        timeoutMs,
      ),
    ),
  );
}
