// Test fixtures of the ingest tests: a realtime server with a large `feed` history, waiting for conditions, and
// reading a channel's whole history.
import type { TestContext } from 'node:test';
import { type Broker, MemoryBroker, type Publication } from '../../src/broker/index.ts';
import { createAuthenticator, createNamespaces, createOriginPolicy, RealtimeServer } from '../../src/realtime/index.ts';

/** History kept per feed channel in these tests: more than any test publishes, so nothing is trimmed. */
export const FEED_HISTORY = 20_000;

export const FEED_NAMESPACES = {
  feed: { allowClientPublish: false, historySize: FEED_HISTORY, recoverOnJoin: 0 },
  strict: {
    allowClientPublish: false,
    historySize: 100,
    recoverOnJoin: 0,
    payloadSchema: { type: 'object', properties: { symbol: { type: 'string' } }, required: ['symbol'] },
  },
};

/**
 * A realtime server (not listening: ingest publishes server-side) over `broker`, closed in `t.after`.
 * @param broker Defaults to a new MemoryBroker.
 */
export async function feedServer(t: TestContext, broker: Broker = new MemoryBroker()): Promise<RealtimeServer> {
  const server = new RealtimeServer({
    port: 0,
    broker,
    namespaces: createNamespaces(FEED_NAMESPACES),
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: 'x'.repeat(32) }] }),
    originPolicy: createOriginPolicy({ allowedOrigins: [] }),
  });
  t.after(async () => {
    await server.drain({ timeoutMs: 200 }).catch(() => {});
    await broker.close();
  });
  return server;
}

/** Waits until `check` returns true (polling), failing with `what` and the last `detail` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  detail: () => unknown = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(detail())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every retained publication of a channel, oldest first. */
export async function allHistory(broker: Broker, channel: string): Promise<readonly Publication[]> {
  return (await broker.history(channel, { limit: FEED_HISTORY })).publications;
}

/**
 * Checks a channel's history is exactly `expected` ticks (`{ symbol, seq }` payloads) in source order, once each,
 * with contiguous offsets and distinct ids.
 */
export function assertExactlyOnce(
  pubs: readonly Publication[],
  expected: readonly number[],
  fail: (message: string) => never,
): void {
  const seqs = pubs.map((p) => (p.data as { seq: number }).seq);
  if (seqs.length !== expected.length)
    fail(`expected ${expected.length} publications, got ${seqs.length} (first ${seqs.slice(0, 5).join(',')})`);
  for (let i = 0; i < expected.length; i++)
    if (seqs[i] !== expected[i]) fail(`position ${i}: expected seq ${expected[i]}, got ${seqs[i]}`);
  for (let i = 1; i < pubs.length; i++)
    if (pubs[i]!.offset !== pubs[i - 1]!.offset + 1) fail(`offsets not contiguous at ${i}`);
  const ids = new Set(pubs.map((p) => p.id));
  if (ids.size !== pubs.length || ids.has(undefined)) fail('ids are missing or repeated');
}
