// Test helper for the client cut tests (WebSocket and the HTTP transports): a subscriber and a publisher through a
// proxy whose connections are cut on a timer while messages are published at a steady rate; waits until every publish
// settled and the subscriber received them all, saying where things stand if that never happens.
import type { TestContext } from 'node:test';
import { Client, type ClientOptions } from '../../src/client/index.ts';
import { tokenFor, waitFor } from './client-faults.ts';

/** The client options of a cut run: fast reconnects and liveness checks, an outbox that holds every message. */
export function cutClientOptions(total: number) {
  return {
    reconnect: { minDelayMs: 20, maxDelayMs: 300, factor: 2 },
    pingIntervalMs: 1000,
    pingTimeoutMs: 1000,
    ackTimeoutMs: 2000,
    outbox: { maxMessages: total },
  } as const;
}

/** What a cut run saw. */
export interface CutRun {
  readonly subscriber: Client;
  readonly publisher: Client;
  /** The `i` of each publication the subscriber received, in arrival order. */
  readonly received: number[];
  /** How each publish ended. */
  readonly results: PromiseSettledResult<unknown>[];
  /** Times the proxy cut its connections. */
  readonly cuts: number;
  /** Connections cut, over all cuts. */
  readonly connectionsCut: number;
  /** When publishing started (Date.now()). */
  readonly started: number;
}

/**
 * Connects a subscriber (`sub`) and a publisher (`pub`) with `options`, subscribes to `channel`, then publishes
 * `{ i }` for i = 0..total-1 at `ratePerS` while `cut()` runs every `cutEveryMs`; resolves once all publishes settled
 * and the subscriber received `total` publications (the cutter stopped), 200 ms later.
 */
export async function runThroughCuts(
  t: TestContext,
  run: {
    readonly options: Omit<ClientOptions, 'token'>;
    readonly cut: () => number;
    readonly channel: string;
    readonly total: number;
    readonly ratePerS: number;
    readonly cutEveryMs: number;
    /** Called once both clients are connected, before the subscribe. */
    readonly connected?: (subscriber: Client) => void;
  },
): Promise<CutRun> {
  const { total, channel } = run;
  const subscriber = new Client({ ...run.options, token: await tokenFor('sub') });
  const publisher = new Client({ ...run.options, token: await tokenFor('pub') });
  t.after(() => {
    subscriber.close();
    publisher.close();
  });
  await Promise.all([subscriber.connect(), publisher.connect()]);
  run.connected?.(subscriber);

  const received: number[] = [];
  const sub = subscriber.subscription(channel);
  sub.on('publication', (p) => received.push((p.data as { i: number }).i));
  await sub.subscribe();

  let cuts = 0;
  let connectionsCut = 0;
  const cutter = setInterval(() => {
    cuts++;
    connectionsCut += run.cut();
  }, run.cutEveryMs);
  t.after(() => clearInterval(cutter));
  const acks: Promise<unknown>[] = [];
  const started = Date.now();
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * run.ratePerS) + 1);
    for (; i < due; i++) acks.push(publisher.publish(channel, { i }));
    await new Promise((r) => setTimeout(r, 5));
  }
  // Bounded, and saying where things stand if it is not reached (a stalled publish must be diagnosable from CI's log).
  let settled = 0;
  for (const ack of acks)
    void ack.then(
      () => settled++,
      () => settled++,
    );
  const state = () =>
    `(settled ${settled}/${total}, outbox ${publisher.outbox.length}, publisher ${publisher.state}/${publisher.breakerState}, ` +
    `subscriber ${subscriber.state}, received ${received.length}, cuts ${cuts}, metrics ${JSON.stringify(publisher.metrics)})`;
  await waitFor(() => settled === total, 120_000, state);
  const results = await Promise.allSettled(acks);
  clearInterval(cutter);
  await waitFor(
    () => received.length >= total,
    30_000,
    () => `(received ${received.length}, subscriber ${subscriber.state})`,
  );
  await new Promise((r) => setTimeout(r, 200));
  return { subscriber, publisher, received, results, cuts, connectionsCut, started };
}
