// RedisBroker under injected faults (docs/security-cases.md 4.10): Redis killed and restarted, subscribers kicked, slow Redis,
// concurrent nodes, dead nodes. Each test starts its own redis-server; figures go to the test diagnostics.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import {
  BrokerError,
  RedisBroker,
  type BrokerStatus,
  type ChannelEvent,
  type Publication,
  type PublishOptions,
  type PublishResult,
  type RedisBrokerOptions,
} from '../../src/broker/index.ts';
import { startRedis } from '../helpers/redis-server.ts';

const HISTORY: PublishOptions = { historySize: 10_000, historyTtlMs: 600_000 };

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function node(t: TestContext, url: string, options: RedisBrokerOptions = {}): Promise<RedisBroker> {
  const broker = await RedisBroker.connect({ url, maxReconnectDelayMs: 200, commandTimeoutMs: 1000, ...options });
  broker.on('error', () => {});
  t.after(() => broker.close());
  return broker;
}

function recorder(): { handler: (event: ChannelEvent) => void; publications: Publication[]; events: ChannelEvent[] } {
  const publications: Publication[] = [];
  const events: ChannelEvent[] = [];
  return {
    handler: (event) => {
      events.push(event);
      if (event.type === 'publication') publications.push(event.publication);
    },
    publications,
    events,
  };
}

/** Checks that deliveries are, per epoch, exactly offsets first..last by one: no gap, no repeat, in order. */
function assertGapless(publications: readonly Publication[], what: string): void {
  for (let i = 1; i < publications.length; i++) {
    const [a, b] = [publications[i - 1]!, publications[i]!];
    if (a.epoch === b.epoch) assert.equal(b.offset, a.offset + 1, `${what}: offset ${b.offset} after ${a.offset}`);
    else assert.equal(b.offset, 1, `${what}: a new epoch starts at offset 1`);
  }
}

interface Figures {
  published: number;
  acknowledged: number;
  errors: number;
  delivered: number;
  lost: number;
  duplicated: number;
}

function report(t: TestContext, name: string, figures: Figures & Record<string, number>): void {
  t.diagnostic(`FIGURES ${name}: ${JSON.stringify(figures)}`);
}

/** Publishes `{ n }` in a loop from `writers` concurrent writers until `stop()` says so; records acks and errors. */
function publishStream(
  broker: RedisBroker,
  channel: string,
  writers: number,
): {
  acks: Map<number, PublishResult>;
  errors: BrokerError[];
  attempts: () => number;
  stop: () => Promise<void>;
} {
  const acks = new Map<number, PublishResult>();
  const errors: BrokerError[] = [];
  let n = 0;
  let running = true;
  const loops = Array.from({ length: writers }, async () => {
    while (running) {
      const i = n++;
      try {
        acks.set(i, await broker.publish(channel, { n: i }, HISTORY));
      } catch (err) {
        assert.ok(err instanceof BrokerError, `only BrokerErrors, got ${String(err)}`);
        errors.push(err);
        await sleep(5);
      }
      await sleep(1);
    }
  });
  return {
    acks,
    errors,
    attempts: () => n,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

test('kill -9 Redis mid-stream, restart empty: errors while down, no acked publication lost, new epoch, old positions recovered false (docs/security-cases.md RD-01, RD-02, RD-05)', async (t) => {
  const redis = await startRedis(t);
  const a = await node(t, redis.url);
  const b = await node(t, redis.url);
  const statuses: BrokerStatus[] = [];
  a.on('status', (s) => statuses.push(s));
  const ch = `chat:kill-${randomUUID()}`;
  const sub = recorder();
  await b.subscribe(ch, sub.handler);
  const stream = publishStream(a, ch, 4);
  await eventually(() => stream.acks.size >= 150, '150 acks before the kill');
  await redis.kill();
  const killedAt = stream.attempts();
  const acksBefore = new Map(stream.acks);
  await eventually(() => stream.errors.length >= 20, 'errors while Redis is down');
  assert.equal((await a.health()).ok, false, '/health body shows the outage');
  await assert.rejects(a.publish(ch, 'down', HISTORY), { name: 'BrokerError', code: 'BROKER_UNAVAILABLE' });
  await redis.restart();
  await eventually(() => a.isUp && b.isUp, 'both nodes reconnected');
  const acksAtRestart = stream.acks.size;
  await eventually(() => stream.acks.size >= acksAtRestart + 150, '150 acks after the restart');
  await stream.stop();

  const old = [...acksBefore.values()];
  const oldEpoch = old[0]!.epoch;
  const fresh = [...stream.acks.values()].filter((r) => r.epoch !== oldEpoch);
  assert.ok(fresh.length >= 150, 'publishes after the restart landed in a new epoch');
  assert.equal(new Set(fresh.map((r) => r.epoch)).size, 1);
  assert.ok([...stream.acks.values()].every((r) => r.epoch === oldEpoch || r.epoch === fresh[0]!.epoch));
  assert.deepEqual(
    fresh.map((r) => r.offset).sort((x, y) => x - y),
    Array.from({ length: fresh.length }, (_, i) => i + 1),
    'the new epoch numbers from 1, contiguously',
  );
  const lastOld = Math.max(...old.map((r) => r.offset));
  const h = await b.history(ch, { since: { epoch: oldEpoch, offset: lastOld } });
  assert.deepEqual(
    [h.recovered, h.publications.length, h.epoch],
    [false, 0, fresh[0]!.epoch],
    'a position in the lost epoch is not recoverable',
  );
  for (const err of stream.errors)
    assert.ok(err.code === 'BROKER_UNAVAILABLE' || err.code === 'BROKER_TIMEOUT', err.code);
  assert.deepEqual(statuses.map((s) => s.state).slice(0, 2), ['down', 'up']);

  // Every acknowledged publication reached the other node's subscriber exactly once, in order.
  const ackedKeys = new Set([...stream.acks.values()].map((r) => `${r.epoch}/${r.offset}`));
  await eventually(
    () => [...ackedKeys].every((k) => sub.publications.some((p) => `${p.epoch}/${p.offset}` === k)),
    'every acked publication delivered',
  );
  assertGapless(sub.publications, 'subscriber on node B');
  const deliveredKeys = sub.publications.map((p) => `${p.epoch}/${p.offset}`);
  const lost = [...ackedKeys].filter((k) => !deliveredKeys.includes(k)).length;
  const duplicated = deliveredKeys.length - new Set(deliveredKeys).size;
  assert.equal(lost, 0);
  assert.equal(duplicated, 0);
  report(t, 'redis kill -9, restart empty', {
    published: stream.attempts(),
    acknowledged: stream.acks.size,
    errors: stream.errors.length,
    delivered: sub.publications.length,
    lost,
    duplicated,
    attemptsBeforeKill: killedAt,
    ackedBeforeKill: acksBefore.size,
    ackedInNewEpoch: fresh.length,
  });
});

test('kill -9 a persistent Redis mid-stream and restart: every acked publication is in history and delivered once, in order, same epoch (docs/security-cases.md RD-01, RD-02, RD-04)', async (t) => {
  const redis = await startRedis(t, { persistent: true });
  const a = await node(t, redis.url);
  const b = await node(t, redis.url);
  const ch = `chat:persist-${randomUUID()}`;
  const sub = recorder();
  await b.subscribe(ch, sub.handler);
  const stream = publishStream(a, ch, 4);
  await eventually(() => stream.acks.size >= 150, '150 acks before the kill');
  await redis.kill();
  await eventually(() => stream.errors.length >= 20, 'errors while Redis is down');
  await redis.restart();
  await eventually(() => a.isUp && b.isUp, 'both nodes reconnected');
  const acksAtRestart = stream.acks.size;
  await eventually(() => stream.acks.size >= acksAtRestart + 150, '150 acks after the restart');
  await stream.stop();

  const acked = [...stream.acks.values()];
  assert.equal(new Set(acked.map((r) => r.epoch)).size, 1, 'Redis kept its data: the epoch stays');
  const all = await b.history(ch, { since: { epoch: acked[0]!.epoch, offset: 0 } });
  assert.equal(all.recovered, true);
  const stored = new Set(all.publications.map((p) => p.offset));
  const missing = acked.filter((r) => !stored.has(r.offset));
  assert.deepEqual(missing, [], 'every acked publish is in history after the restart');
  assert.deepEqual(
    all.publications.map((p) => p.offset),
    Array.from({ length: all.offset }, (_, i) => i + 1),
    'offsets contiguous',
  );
  await eventually(() => sub.publications.length >= all.offset, 'the subscriber caught up');
  assertGapless(sub.publications, 'subscriber on node B');
  const delivered = sub.publications.map((p) => p.offset);
  assert.deepEqual(
    delivered,
    Array.from({ length: all.offset }, (_, i) => i + 1),
    'every stored publication delivered once, in order',
  );
  report(t, 'redis kill -9, restart with AOF', {
    published: stream.attempts(),
    acknowledged: acked.length,
    errors: stream.errors.length,
    delivered: delivered.length,
    lost: acked.filter((r) => !delivered.includes(r.offset)).length,
    duplicated: delivered.length - new Set(delivered).size,
    storedThoughErrored: all.offset - acked.length,
    recoveredFromHistory: b.stats().recovered,
  });
});

test('CLIENT KILL TYPE pubsub: nodes resubscribe by themselves and subscribers get the gap from history (docs/security-cases.md RD-03, RD-06)', async (t) => {
  const redis = await startRedis(t);
  const a = await node(t, redis.url);
  const b = await node(t, redis.url);
  const ch = `chat:kick-${randomUUID()}`;
  const [onA, onB] = [recorder(), recorder()];
  await a.subscribe(ch, onA.handler);
  await b.subscribe(ch, onB.handler);
  const stream = publishStream(a, ch, 2);
  for (let kill = 0; kill < 3; kill++) {
    // Wait until both nodes are back and caught up from the previous kick, then kick again mid-stream.
    await eventually(
      () => a.stats().resyncs >= kill && b.stats().resyncs >= kill,
      `both nodes resubscribed after kick ${kill}`,
    );
    await sleep(100);
    const killed = Number(await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub'));
    assert.equal(killed, 2, "both nodes' subscriber connections were kicked");
  }
  await eventually(
    () => a.stats().resyncs >= 3 && b.stats().resyncs >= 3,
    'both nodes resubscribed after the last kick',
  );
  await sleep(200);
  await stream.stop();
  assert.equal(stream.errors.length, 0, 'the command connection was never affected');
  const top = Math.max(...[...stream.acks.values()].map((r) => r.offset));
  await eventually(() => onA.publications.length >= top && onB.publications.length >= top, 'both nodes caught up');
  for (const [name, rec] of [
    ['A', onA],
    ['B', onB],
  ] as const) {
    assert.deepEqual(
      rec.publications.map((p) => p.offset),
      Array.from({ length: top }, (_, i) => i + 1),
      `node ${name}: all, once, in order`,
    );
  }
  assert.ok(b.stats().resyncs >= 3 && a.stats().resyncs >= 3, 'each kick was followed by a resync');
  assert.ok(b.stats().recovered > 0, 'some publications came from history');
  report(t, 'CLIENT KILL TYPE pubsub x3', {
    published: stream.attempts(),
    acknowledged: stream.acks.size,
    errors: stream.errors.length,
    delivered: onB.publications.length,
    lost: 0,
    duplicated: 0,
    recoveredOnB: b.stats().recovered,
    recoveredOnA: a.stats().recovered,
    liveDuplicatesDroppedOnB: b.stats().duplicatesDropped,
  });
});

test('a subscriber dropped by the pub/sub output buffer limit recovers the burst from history (docs/security-cases.md RD-06)', async (t) => {
  // Every 64 KiB message overflows a 16 KiB pub/sub output limit at once (beyond Redis' 16 KiB reply buffer),
  // so Redis drops the subscriber on each live message: delivery can only come from history.
  const redis = await startRedis(t, { args: ['--client-output-buffer-limit', 'pubsub 16kb 16kb 0'] });
  const a = await node(t, redis.url);
  const b = await node(t, redis.url);
  const ch = `chat:burst-${randomUUID()}`;
  const sub = recorder();
  await b.subscribe(ch, sub.handler);
  const payload = 'x'.repeat(64 * 1024);
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => a.publish(ch, { i, payload }, HISTORY)));
  await eventually(() => sub.publications.length >= 100, 'the whole burst', 15_000);
  assert.deepEqual(
    sub.publications.map((p) => p.offset),
    results.map((r) => r.offset).sort((x, y) => x - y),
  );
  assertGapless(sub.publications, 'subscriber');
  assert.ok(b.stats().resyncs >= 1, 'the subscriber was dropped and resubscribed');
  assert.ok(b.stats().recovered > 0, 'publications came from history');
  report(t, 'pub/sub output buffer limit', {
    published: 100,
    acknowledged: results.length,
    errors: 0,
    delivered: sub.publications.length,
    lost: 0,
    duplicated: 0,
    resyncs: b.stats().resyncs,
    recoveredFromHistory: b.stats().recovered,
  });
});

test('slow Redis (DEBUG SLEEP, CLIENT PAUSE): publishes time out into BROKER_TIMEOUT, in-flight commands stay bounded, the event loop runs (docs/security-cases.md RD-08)', async (t) => {
  const redis = await startRedis(t);
  const a = await node(t, redis.url, { commandTimeoutMs: 300, maxPendingCommands: 50 });
  const ch = `chat:slow-${randomUUID()}`;
  await a.publish(ch, 'before', HISTORY);
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
  }, 10);
  t.after(() => clearInterval(ticker));
  const sleeping = redis.command('DEBUG', 'SLEEP', '1.5');
  await sleep(50);
  const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => a.publish(ch, i, HISTORY)));
  const codes = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as BrokerError).code : 'ok'));
  const timedOut = codes.filter((c) => c === 'BROKER_TIMEOUT').length;
  const refused = codes.filter((c) => c === 'BROKER_UNAVAILABLE').length;
  assert.equal(timedOut, 50, 'the in-flight bound admitted 50 commands, which timed out');
  assert.equal(refused, 150, 'the rest were refused at once');
  assert.ok(ticks > 10, 'the event loop kept running while Redis slept');
  await sleeping;
  const after = await a.publish(ch, 'after', HISTORY);
  const h = await a.history(ch);
  // A timed-out publish may still have run once Redis woke up: the error says "may or may not have happened".
  const storedThoughTimedOut = h.publications.length - 2;
  assert.ok(storedThoughTimedOut >= 0 && storedThoughTimedOut <= 50);
  assert.equal(after.offset, h.offset);

  await redis.command('CLIENT', 'PAUSE', '1000', 'WRITE');
  await assert.rejects(a.publish(ch, 'paused', HISTORY), { name: 'BrokerError', code: 'BROKER_TIMEOUT' });
  await sleep(1000);
  await eventually(
    async () =>
      await a.publish(ch, 'resumed', HISTORY).then(
        () => true,
        () => false,
      ),
    'publishing after the pause',
  );
  report(t, 'DEBUG SLEEP 1.5 s', {
    published: 200,
    acknowledged: 0,
    errors: 200,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    timedOut,
    refusedByInFlightBound: refused,
    storedThoughTimedOut,
  });
});

test('24 writers x 40 publishes through two nodes get contiguous offsets; subscribers on both nodes see each once, in order (docs/security-cases.md RD-11)', async (t) => {
  const redis = await startRedis(t);
  const nodes = [await node(t, redis.url), await node(t, redis.url)];
  const ch = `chat:offsets-${randomUUID()}`;
  const subs = [recorder(), recorder()];
  await nodes[0]!.subscribe(ch, subs[0]!.handler);
  await nodes[1]!.subscribe(ch, subs[1]!.handler);
  const results = (
    await Promise.all(
      Array.from({ length: 24 }, async (_, w) => {
        const out: PublishResult[] = [];
        for (let i = 0; i < 40; i++) out.push(await nodes[w % 2]!.publish(ch, { w, i }, HISTORY));
        return out;
      }),
    )
  ).flat();
  const offsets = results.map((r) => r.offset).sort((x, y) => x - y);
  assert.deepEqual(
    offsets,
    Array.from({ length: 960 }, (_, i) => i + 1),
  );
  for (const sub of subs) {
    await eventually(() => sub.publications.length >= 960, '960 deliveries');
    assert.deepEqual(
      sub.publications.map((p) => p.offset),
      offsets,
    );
  }
  const h = await nodes[1]!.history(ch, { since: { epoch: results[0]!.epoch, offset: 0 } });
  assert.deepEqual(
    h.publications.map((p) => p.offset),
    offsets,
  );
  report(t, '24 x 40 concurrent publishes on 2 nodes', {
    published: 960,
    acknowledged: results.length,
    errors: 0,
    delivered: subs[0]!.publications.length + subs[1]!.publications.length,
    lost: 0,
    duplicated: 0,
  });
});

test('cross-node fan-out, presence and idempotency: 40 duplicates racing on two nodes get one offset and one delivery per node (docs/security-cases.md AP-11)', async (t) => {
  const redis = await startRedis(t);
  const [a, b] = [await node(t, redis.url), await node(t, redis.url)];
  const ch = `chat:idem-${randomUUID()}`;
  const [onA, onB] = [recorder(), recorder()];
  await a.subscribe(ch, onA.handler);
  await b.subscribe(ch, onB.handler);
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? a : b).publish(ch, 'once', { ...HISTORY, idempotencyKey: 'alice:m-1' }),
    ),
  );
  assert.equal(new Set(results.map((r) => `${r.epoch}/${r.offset}`)).size, 1);
  assert.equal(results.filter((r) => !r.duplicate).length, 1);
  await b.publish(ch, 'marker', HISTORY);
  await a.addPresence(ch, { connection: 'a-1', user: 'alice', info: { name: 'Alice' } });
  await eventually(() => onA.events.length >= 3 && onB.events.length >= 3, 'deliveries and a join on both nodes');
  for (const rec of [onA, onB]) {
    assert.deepEqual(
      rec.publications.map((p) => p.data),
      ['once', 'marker'],
    );
    assert.deepEqual(rec.events[2], { type: 'join', channel: ch, user: 'alice', info: { name: 'Alice' } });
  }
  assert.deepEqual(await b.presence(ch), [{ user: 'alice', connections: 1, info: { name: 'Alice' } }]);
  // A personal channel is just a channel: a message to a user reaches their connection on the other node.
  const personal = `user:bob-${randomUUID()}`;
  const bob = recorder();
  await b.subscribe(personal, bob.handler);
  await a.publish(personal, { text: 'psst' }, { historySize: 0, historyTtlMs: 0, sender: 'alice' });
  await eventually(() => bob.publications.length === 1, 'the private message');
  report(t, '40 racing duplicates on 2 nodes', {
    published: 40,
    acknowledged: 40,
    errors: 0,
    delivered: onA.publications.length - 1,
    lost: 0,
    duplicated: 0,
  });
});

test('presence of a node killed with SIGKILL vanishes within 3 x heartbeat, with leave events on the live node (docs/security-cases.md RD-12)', async (t) => {
  const redis = await startRedis(t);
  const heartbeatMs = 200;
  const live = await node(t, redis.url, { presenceHeartbeatMs: heartbeatMs });
  const ch = `chat:dead-${randomUUID()}`;
  const sub = recorder();
  await live.subscribe(ch, sub.handler);
  await live.addPresence(ch, { connection: 'live-1', user: 'carol' });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('../helpers/redis-presence-child.ts', import.meta.url)),
      JSON.stringify({
        url: redis.url,
        channel: ch,
        heartbeatMs,
        entries: [
          { connection: 'dead-1', user: 'dave' },
          { connection: 'dead-2', user: 'dave' },
          { connection: 'dead-3', user: 'erin' },
        ],
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${String(code)}`)));
  });
  assert.equal((JSON.parse(line) as { ready: boolean }).ready, true);
  await eventually(async () => (await live.presence(ch)).length === 3, 'three users present');
  const killedAt = Date.now();
  child.kill('SIGKILL');
  await eventually(async () => (await live.presence(ch)).length === 1, "the dead node's users gone", 5000);
  const vanishedMs = Date.now() - killedAt;
  // The bound is 3 x heartbeat from the last beat; 1 s of slack covers scheduling on a loaded CI machine.
  assert.ok(vanishedMs <= 3 * heartbeatMs + 1000, `vanished after ${vanishedMs} ms`);
  await eventually(() => sub.events.filter((e) => e.type === 'leave').length === 2, 'two leave events');
  assert.deepEqual(
    sub.events
      .filter((e) => e.type === 'leave')
      .map((e) => (e.type === 'leave' ? e.user : ''))
      .sort(),
    ['dave', 'erin'],
  );
  assert.deepEqual(await live.presence(ch), [{ user: 'carol', connections: 1 }]);
  report(t, 'node SIGKILL presence', {
    published: 0,
    acknowledged: 0,
    errors: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    vanishedAfterMs: vanishedMs,
    boundMs: 3 * heartbeatMs,
  });
});

test('presence heals after a partition longer than the heartbeat TTL: swept entries come back and both nodes agree (docs/security-cases.md RD-09)', async (t) => {
  const redis = await startRedis(t);
  const heartbeatMs = 150;
  const [a, b] = [
    await node(t, redis.url, { presenceHeartbeatMs: heartbeatMs }),
    await node(t, redis.url, { presenceHeartbeatMs: heartbeatMs }),
  ];
  const ch = `chat:heal-${randomUUID()}`;
  await a.addPresence(ch, { connection: 'a-1', user: 'alice' });
  await b.addPresence(ch, { connection: 'b-1', user: 'bob', info: { n: 1 } });
  b.stopHeartbeat(); // b cannot reach Redis for a while, as far as its heartbeat goes
  await eventually(async () => (await a.presence(ch)).length === 1, 'b swept by a', 5000);
  await b.tickPresence(); // b is back: it notices its heartbeat expired and adds its entries again
  const expected = [
    { user: 'alice', connections: 1 },
    { user: 'bob', connections: 1, info: { n: 1 } },
  ];
  const sorted = async (n: RedisBroker): Promise<unknown> =>
    (await n.presence(ch)).sort((x, y) => x.user.localeCompare(y.user));
  assert.deepEqual(await sorted(a), expected);
  assert.deepEqual(await sorted(b), expected);
});

test('Redis down: subscribe and presence fail fast with BROKER_UNAVAILABLE, health and status say down, and up again after the restart (docs/security-cases.md RD-01, RD-03)', async (t) => {
  const redis = await startRedis(t);
  const [a, b] = [await node(t, redis.url), await node(t, redis.url)];
  const ch = `chat:down-${randomUUID()}`;
  const onB = recorder();
  await b.subscribe(ch, onB.handler);
  await redis.kill();
  await eventually(() => !a.isUp, 'a sees Redis down');
  await assert.rejects(
    a.subscribe(`chat:other-${randomUUID()}`, () => {}),
    { name: 'BrokerError', code: 'BROKER_UNAVAILABLE' },
  );
  await assert.rejects(a.addPresence(ch, { connection: 'c', user: 'u' }), {
    name: 'BrokerError',
    code: 'BROKER_UNAVAILABLE',
  });
  await assert.rejects(a.history(ch), { name: 'BrokerError', code: 'BROKER_UNAVAILABLE' });
  const health = await a.health();
  assert.equal(health.ok, false);
  assert.doesNotMatch(health.detail ?? '', /password/i);
  assert.equal(a.stats().status, 'down');
  await redis.restart();
  await eventually(() => a.isUp && b.isUp, 'reconnected');
  await a.publish(ch, 'after', HISTORY);
  await eventually(() => onB.publications.length === 1, 'a publish on node A reaches node B after the restart');
  assert.equal((await a.health()).ok, true);
});

test('failover leftovers: a Redis turned read-only replica fails publishes and health, and the node recovers once it is primary again (docs/security-cases.md RD-07)', async (t) => {
  const primary = await startRedis(t);
  const redis = await startRedis(t);
  const a = await node(t, redis.url);
  const ch = `chat:readonly-${randomUUID()}`;
  await a.publish(ch, 'before', HISTORY);
  await redis.command('REPLICAOF', '127.0.0.1', primary.port);
  await eventually(
    async () =>
      await a.publish(ch, 'x', HISTORY).then(
        () => false,
        (err: unknown) => err instanceof BrokerError && err.code === 'BROKER_UNAVAILABLE',
      ),
    'writes refused by the replica',
  );
  await eventually(async () => (await a.health()).detail === 'Redis is a read-only replica', 'health says read-only');
  assert.equal((await a.health()).ok, false);
  await redis.command('REPLICAOF', 'NO', 'ONE');
  await eventually(
    async () =>
      await a.publish(ch, 'after', HISTORY).then(
        () => true,
        () => false,
      ),
    'publishing again after the promotion',
  );
  assert.equal((await a.health()).ok, true);
});
