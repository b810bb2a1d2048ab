// Test helper: plays the ingest runner's part for a source under test. Each message is decoded (JSON), stored in a
// real MemoryBroker channel with the message's position as idempotency key, and acked only after the store resolved.
import { MemoryBroker } from '../../../src/broker/index.ts';
import type { SourceMessage } from '../../../src/ingest/source.ts';

/** What a source under test delivered: the decoded payloads in order, and the store they went into. */
export interface Sink {
  readonly broker: MemoryBroker;
  /** Payloads stored for the first time, in delivery order. */
  readonly stored: Record<string, unknown>[];
  /** Deliveries whose position was already stored (redeliveries). */
  duplicates: number;
  /** Every message handed to the deliver function, settled or not. */
  received: number;
  readonly deliver: (message: SourceMessage) => Promise<void>;
  /** Resolves once `predicate` holds (checked after each delivery and every 20 ms), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** The channel a payload is stored in: one per symbol, as a price feed would. */
export function channelOf(payload: Record<string, unknown>): string {
  return `feed:prices.${String(payload['symbol'])}`;
}

/**
 * A sink storing into a MemoryBroker. `before` may throw to simulate the broker refusing (the message is then left
 * unsettled, as a runner that crashed mid-publish would) or return 'dead' to dead-letter it.
 */
export function createSink(
  before: (message: SourceMessage, payload: Record<string, unknown>) => 'store' | 'dead' = () => 'store',
): Sink {
  const broker = new MemoryBroker();
  const sink: Sink = {
    broker,
    stored: [],
    duplicates: 0,
    received: 0,
    deliver: async (message) => {
      sink.received++;
      const payload = JSON.parse(Buffer.from(message.payload).toString('utf8')) as Record<string, unknown>;
      if (before(message, payload) === 'dead') {
        await message.deadLetter('poison');
        return;
      }
      const result = await broker.publish(channelOf(payload), payload, {
        historySize: 100_000,
        historyTtlMs: 3_600_000,
        idempotencyKey: `test:${message.position}`,
        idempotencyWindowMs: 3_600_000,
      });
      if (result.duplicate) sink.duplicates++;
      else sink.stored.push(payload);
      await message.ack();
    },
    waitFor: async (predicate, what, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  return sink;
}

/** Checks that every symbol's payloads have strictly increasing `seq`, and returns how many were stored per symbol. */
export function assertOrderPerKey(stored: readonly Record<string, unknown>[]): Map<string, number> {
  const last = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const p of stored) {
    const symbol = String(p['symbol']);
    const seq = Number(p['seq']);
    const before = last.get(symbol);
    if (before !== undefined && seq <= before) {
      throw new Error(`Out of order for ${symbol}: seq ${seq} after ${before}`);
    }
    last.set(symbol, seq);
    counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  }
  return counts;
}

/** The `i`-th test price: 20 symbols in turn, `seq` increasing per symbol and overall. */
export function priceMessage(i: number): Record<string, unknown> {
  return { symbol: `S${String(i % 20).padStart(2, '0')}`, seq: i, price: 100 + (i % 97) / 10 };
}

/** Waits until `predicate` resolves true, polling every 50 ms, or rejects after `timeoutMs`. */
export async function eventually(predicate: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
