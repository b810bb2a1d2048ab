// Broker contract tests, written once and run against every Broker implementation (memory now, Redis later).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Broker, ChannelEvent, ChannelHandler, Publication, PublishOptions } from '../../src/broker/index.ts';

const HISTORY: PublishOptions = { historySize: 1000, historyTtlMs: 600_000 };
const WAIT_MS = 5000;

/** Polls `predicate` until it holds, failing after `WAIT_MS`: brokers may deliver asynchronously. */
async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A handler that records every event it receives. */
function recorder(): { handler: ChannelHandler; events: ChannelEvent[]; publications: () => Publication[] } {
  const events: ChannelEvent[] = [];
  return {
    handler: (event) => {
      events.push(event);
    },
    events,
    publications: () => events.flatMap((e) => (e.type === 'publication' ? [e.publication] : [])),
  };
}

/** A channel name unique to this run, so a shared store (Redis) never mixes runs. */
function channel(label: string): string {
  return `test:${label}-${randomUUID()}`;
}

/**
 * Registers the Broker contract as a `describe` block.
 *
 * @param name Implementation name shown in test titles.
 * @param makeBroker Creates a fresh, ready broker; the suite closes it after each test.
 */
export function runBrokerContract(name: string, makeBroker: () => Promise<Broker>): void {
  async function open(t: TestContext): Promise<Broker> {
    const broker = await makeBroker();
    t.after(() => broker.close());
    return broker;
  }

  describe(`Broker contract: ${name}`, () => {
    test('othersListen is true whenever another handler is subscribed to the channel', async (t) => {
      const broker = await open(t);
      const c = channel('others');
      const [a, b] = [recorder(), recorder()];
      await broker.subscribe(c, a.handler);
      await broker.subscribe(c, b.handler);
      assert.equal(broker.othersListen(c, a.handler), true);
      assert.equal(broker.othersListen(c, b.handler), true);
      assert.equal(
        broker.othersListen(c, () => {}),
        true,
        'a handler that is not subscribed hears nothing itself',
      );
    });

    test('publish fans out to every handler of the channel and to no other channel', async (t) => {
      const broker = await open(t);
      const a = channel('fanout-a');
      const b = channel('fanout-b');
      const [a1, a2, b1] = [recorder(), recorder(), recorder()];
      await broker.subscribe(a, a1.handler);
      await broker.subscribe(a, a2.handler);
      await broker.subscribe(b, b1.handler);
      const ra = await broker.publish(
        a,
        { text: 'to a', nested: [1, { x: null }] },
        { ...HISTORY, sender: 'alice', id: 'm-1' },
      );
      const rb = await broker.publish(b, 'to b', HISTORY);
      await eventually(() => a1.events.length === 1 && a2.events.length === 1 && b1.events.length === 1, 'deliveries');
      const expected = a1.publications()[0]!;
      assert.deepEqual(expected, {
        channel: a,
        epoch: ra.epoch,
        offset: ra.offset,
        data: { text: 'to a', nested: [1, { x: null }] },
        time: expected.time,
        sender: 'alice',
        id: 'm-1',
      });
      assert.ok(Number.isSafeInteger(expected.time) && Math.abs(expected.time - Date.now()) < 60_000);
      assert.deepEqual(a2.publications(), [expected]);
      assert.deepEqual(
        b1.publications().map((p) => [p.channel, p.offset, p.data]),
        [[b, rb.offset, 'to b']],
      );
      assert.equal(ra.duplicate, false);
      assert.ok(!('sender' in b1.publications()[0]!) && !('id' in b1.publications()[0]!), 'absent fields are omitted');
    });

    test('offsets start after the position read before the first publish and grow by one', async (t) => {
      const broker = await open(t);
      const ch = channel('offsets');
      const before = await broker.history(ch, { limit: 0 });
      assert.equal(before.offset, 0);
      assert.deepEqual(before.publications, []);
      const r1 = await broker.publish(ch, 1, HISTORY);
      const r2 = await broker.publish(ch, 2, HISTORY);
      assert.equal(r1.epoch, before.epoch, 'the epoch read before publishing stays');
      assert.equal(r2.epoch, r1.epoch);
      assert.deepEqual([r1.offset, r2.offset], [1, 2]);
    });

    test('concurrent publishes get unique contiguous offsets, delivered in offset order', async (t) => {
      const broker = await open(t);
      const ch = channel('concurrent');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => broker.publish(ch, { i }, HISTORY)));
      const offsets = results.map((r) => r.offset).sort((x, y) => x - y);
      assert.deepEqual(
        offsets,
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      await eventually(() => sub.events.length === 200, '200 deliveries');
      assert.deepEqual(
        sub.publications().map((p) => p.offset),
        offsets,
      );
      for (const r of results) {
        const delivered = sub.publications().find((p) => p.offset === r.offset)!;
        assert.equal(delivered.epoch, r.epoch);
      }
    });

    test('recovery since an offset returns exactly the later publications in order, recovered true', async (t) => {
      const broker = await open(t);
      const ch = channel('recover');
      const results = [];
      for (let i = 1; i <= 10; i++) results.push(await broker.publish(ch, { n: i }, { ...HISTORY, id: `id-${i}` }));
      const epoch = results[0]!.epoch;
      const h = await broker.history(ch, { since: { epoch, offset: 3 } });
      assert.equal(h.recovered, true);
      assert.equal(h.epoch, epoch);
      assert.equal(h.offset, 10);
      assert.deepEqual(
        h.publications.map((p) => [p.offset, p.data, p.id, p.channel, p.epoch]),
        Array.from({ length: 7 }, (_, k) => [k + 4, { n: k + 4 }, `id-${k + 4}`, ch, epoch]),
      );
      const atTop = await broker.history(ch, { since: { epoch, offset: 10 } });
      assert.deepEqual([atTop.recovered, atTop.publications.length], [true, 0]);
      const fromZero = await broker.history(ch, { since: { epoch, offset: 0 } });
      assert.deepEqual([fromZero.recovered, fromZero.publications.length], [true, 10]);
      const limited = await broker.history(ch, { since: { epoch, offset: 3 }, limit: 2 });
      assert.deepEqual([limited.recovered, limited.publications.map((p) => p.offset)], [true, [4, 5]]);
    });

    test('bogus recovery positions give recovered false and never other data (docs/security-cases.md AP-12)', async (t) => {
      const broker = await open(t);
      const ch = channel('bogus');
      const other = channel('bogus-other');
      const mine = await broker.publish(ch, 'mine', HISTORY);
      await broker.publish(ch, 'mine too', HISTORY);
      const theirs = await broker.publish(other, 'secret', HISTORY);
      await broker.publish(other, 'secret 2', HISTORY);
      const positions = [
        { epoch: 'wrong', offset: 1 },
        { epoch: mine.epoch, offset: 3 }, // past the top
        { epoch: mine.epoch, offset: 1000 },
        { epoch: mine.epoch, offset: -1 },
        { epoch: mine.epoch, offset: 0.5 },
        { epoch: mine.epoch, offset: Number.NaN },
        { epoch: mine.epoch, offset: Infinity },
        { epoch: mine.epoch, offset: '0' as unknown as number },
        { epoch: '', offset: 0 },
        ...(theirs.epoch === mine.epoch ? [] : [{ epoch: theirs.epoch, offset: 0 }]),
      ];
      for (const since of positions) {
        const h = await broker.history(ch, { since });
        assert.equal(h.recovered, false, JSON.stringify(since));
        assert.deepEqual(h.publications, [], JSON.stringify(since));
        assert.equal(h.epoch, mine.epoch);
        assert.equal(h.offset, 2);
      }
    });

    test('history without since returns the newest publications, honours limit and before', async (t) => {
      const broker = await open(t);
      const ch = channel('history');
      for (let i = 1; i <= 8; i++) await broker.publish(ch, i, HISTORY);
      const all = await broker.history(ch);
      assert.deepEqual(
        all.publications.map((p) => p.data),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.equal(all.recovered, false);
      assert.equal(all.offset, 8);
      assert.deepEqual(
        (await broker.history(ch, { limit: 3 })).publications.map((p) => p.offset),
        [6, 7, 8],
      );
      assert.deepEqual(
        (await broker.history(ch, { limit: 2, before: 5 })).publications.map((p) => p.offset),
        [3, 4],
      );
      assert.deepEqual((await broker.history(ch, { before: 1 })).publications, []);
      assert.deepEqual((await broker.history(ch, { limit: 0 })).publications, []);
    });

    test('history keeps at most historySize publications; older positions are not recoverable', async (t) => {
      const broker = await open(t);
      const ch = channel('size');
      let epoch = '';
      for (let i = 1; i <= 8; i++)
        epoch = (await broker.publish(ch, i, { historySize: 5, historyTtlMs: 600_000 })).epoch;
      assert.deepEqual(
        (await broker.history(ch)).publications.map((p) => p.offset),
        [4, 5, 6, 7, 8],
      );
      const gap = await broker.history(ch, { since: { epoch, offset: 2 } });
      assert.deepEqual([gap.recovered, gap.publications], [false, []]);
      const edge = await broker.history(ch, { since: { epoch, offset: 3 } });
      assert.deepEqual([edge.recovered, edge.publications.map((p) => p.offset)], [true, [4, 5, 6, 7, 8]]);
    });

    test('a channel without history still numbers its publications and delivers them', async (t) => {
      const broker = await open(t);
      const ch = channel('nohistory');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler);
      const r1 = await broker.publish(ch, 'a', { historySize: 0, historyTtlMs: 0 });
      const r2 = await broker.publish(ch, 'b', { historySize: 0, historyTtlMs: 0 });
      assert.equal(r2.offset, r1.offset + 1);
      await eventually(() => sub.events.length === 2, 'deliveries');
      const h = await broker.history(ch, { since: { epoch: r1.epoch, offset: r1.offset - 1 } });
      assert.deepEqual([h.recovered, h.publications, h.offset], [false, [], r2.offset]);
      const current = await broker.history(ch, { since: { epoch: r2.epoch, offset: r2.offset } });
      assert.equal(current.recovered, true, 'nothing missed: up to date');
    });

    test('publications expire after historyTtlMs', async (t) => {
      const broker = await open(t);
      const ch = channel('ttl');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler); // keeps the channel (and its epoch) alive
      const short = await broker.publish(ch, 'short', { historySize: 10, historyTtlMs: 100 });
      await eventually(() => sub.events.length === 1, 'delivery');
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const h = await broker.history(ch);
        if (!h.publications.some((p) => p.offset === short.offset)) break;
        if (Date.now() > deadline) assert.fail('the short-lived publication never expired');
        await sleep(20);
      }
      const long = await broker.publish(ch, 'long', { historySize: 10, historyTtlMs: 600_000 });
      const h = await broker.history(ch);
      assert.deepEqual(
        h.publications.map((p) => p.data),
        ['long'],
      );
      assert.equal(long.epoch, short.epoch);
      const lost = await broker.history(ch, { since: { epoch: short.epoch, offset: short.offset - 1 } });
      assert.deepEqual(
        [lost.recovered, lost.publications],
        [false, []],
        'an expired publication makes the gap unrecoverable',
      );
    });

    test('the same idempotency key twice is stored and delivered once, with the same offset (docs/security-cases.md AP-11)', async (t) => {
      const broker = await open(t);
      const ch = channel('idem');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler);
      const first = await broker.publish(ch, 'once', { ...HISTORY, idempotencyKey: 'alice:m-1', id: 'm-1' });
      const second = await broker.publish(ch, 'once', { ...HISTORY, idempotencyKey: 'alice:m-1', id: 'm-1' });
      assert.deepEqual(second, { epoch: first.epoch, offset: first.offset, duplicate: true });
      assert.equal(first.duplicate, false);
      const other = await broker.publish(ch, 'other', { ...HISTORY, idempotencyKey: 'alice:m-2' });
      assert.equal(other.offset, first.offset + 1);
      const elsewhere = await broker.publish(channel('idem-elsewhere'), 'x', {
        ...HISTORY,
        idempotencyKey: 'alice:m-1',
      });
      assert.equal(elsewhere.duplicate, false, 'keys are scoped to their channel');
      await eventually(() => sub.events.length >= 2, 'deliveries');
      await broker.publish(ch, 'marker', HISTORY);
      await eventually(() => sub.events.length >= 3, 'marker');
      assert.deepEqual(
        sub.publications().map((p) => p.data),
        ['once', 'other', 'marker'],
      );
      assert.deepEqual(
        (await broker.history(ch)).publications.map((p) => p.data),
        ['once', 'other', 'marker'],
      );
    });

    test('40 racing duplicates get one offset and one delivery (docs/security-cases.md AP-11)', async (t) => {
      const broker = await open(t);
      const ch = channel('idem-race');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler);
      const results = await Promise.all(
        Array.from({ length: 40 }, () => broker.publish(ch, 'x', { ...HISTORY, idempotencyKey: 'k' })),
      );
      assert.equal(new Set(results.map((r) => `${r.epoch}/${r.offset}`)).size, 1);
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      await broker.publish(ch, 'marker', HISTORY);
      await eventually(() => sub.events.length >= 2, 'marker');
      assert.deepEqual(
        sub.publications().map((p) => p.data),
        ['x', 'marker'],
      );
    });

    test('an idempotency key can be reused after its window', async (t) => {
      const broker = await open(t);
      const ch = channel('idem-window');
      const first = await broker.publish(ch, 'a', { ...HISTORY, idempotencyKey: 'k', idempotencyWindowMs: 50 });
      await sleep(150);
      const again = await broker.publish(ch, 'a', { ...HISTORY, idempotencyKey: 'k', idempotencyWindowMs: 50 });
      assert.equal(again.duplicate, false);
      assert.equal(again.offset, first.offset + 1);
    });

    test("signal reaches the channel's handlers without being stored: no offset, no history, no other channel", async (t) => {
      const broker = await open(t);
      const ch = channel('signal');
      const other = channel('signal-other');
      const [a, b, o] = [recorder(), recorder(), recorder()];
      await broker.subscribe(ch, a.handler);
      await broker.subscribe(ch, b.handler);
      await broker.subscribe(other, o.handler);
      const r1 = await broker.publish(ch, 'stored', HISTORY);
      await broker.signal(ch, { typing: { user: 'alice', on: true } });
      await broker.signal(channel('nobody-listens'), 'lost, by design');
      const r2 = await broker.publish(ch, 'stored too', HISTORY);
      await eventually(() => a.events.length === 3 && b.events.length === 3, 'two publications and a signal');
      assert.deepEqual(a.events[1], { type: 'signal', channel: ch, data: { typing: { user: 'alice', on: true } } });
      assert.deepEqual(
        a.events.map((e) => e.type),
        ['publication', 'signal', 'publication'],
        'in order with publications',
      );
      assert.deepEqual(b.events, a.events);
      assert.equal(r2.offset, r1.offset + 1, 'a signal takes no offset');
      assert.deepEqual(
        (await broker.history(ch)).publications.map((p) => p.data),
        ['stored', 'stored too'],
      );
      await sleep(50);
      assert.deepEqual(o.events, []);
    });

    test("a signal's data is a copy: changing the sender's object afterwards changes nothing delivered", async (t) => {
      const broker = await open(t);
      const ch = channel('signal-copy');
      const r = recorder();
      await broker.subscribe(ch, r.handler);
      const flat = { node: 'n1', kind: 'update', data: 'AQID', size: 3, last: true, none: null };
      const nested = { typing: { user: 'alice', on: true } };
      await broker.signal(ch, flat);
      await broker.signal(ch, nested);
      flat.data = 'changed';
      nested.typing.user = 'mallory';
      await eventually(() => r.events.length === 2, 'both signals');
      assert.deepEqual(
        r.events.map((e) => (e.type === 'signal' ? e.data : null)),
        [
          { node: 'n1', kind: 'update', data: 'AQID', size: 3, last: true, none: null },
          { typing: { user: 'alice', on: true } },
        ],
      );
    });

    test('presence aggregates two connections of one user and emits join and leave once', async (t) => {
      const broker = await open(t);
      const ch = channel('presence');
      const sub = recorder();
      await broker.subscribe(ch, sub.handler);
      await broker.addPresence(ch, { connection: 'c1', user: 'alice', info: { name: 'Alice' } });
      await broker.addPresence(ch, { connection: 'c2', user: 'alice', info: { name: 'Alice' } });
      await broker.addPresence(ch, { connection: 'c3', user: 'bob' });
      await broker.addPresence(ch, { connection: 'c3', user: 'bob' }); // refresh: no new join, no double count
      const list = await broker.presence(ch);
      assert.deepEqual(
        list.sort((x, y) => x.user.localeCompare(y.user)),
        [
          { user: 'alice', connections: 2, info: { name: 'Alice' } },
          { user: 'bob', connections: 1 },
        ],
      );
      await eventually(() => sub.events.length === 2, 'two joins');
      assert.deepEqual(
        sub.events.map((e) => (e.type === 'join' || e.type === 'leave' ? [e.type, e.user] : e.type)).sort(),
        [
          ['join', 'alice'],
          ['join', 'bob'],
        ],
      );
      await broker.removePresence(ch, 'c1');
      assert.deepEqual(await broker.presence(ch).then((l) => l.find((u) => u.user === 'alice')), {
        user: 'alice',
        connections: 1,
        info: { name: 'Alice' },
      });
      await broker.removePresence(ch, 'c2');
      await broker.removePresence(ch, 'c2'); // unknown connection: ignored
      await broker.removePresence(ch, 'nope');
      await eventually(() => sub.events.length === 3, 'a leave');
      assert.deepEqual(sub.events[2], { type: 'leave', channel: ch, user: 'alice', info: { name: 'Alice' } });
      assert.deepEqual(await broker.presence(ch), [{ user: 'bob', connections: 1 }]);
      assert.deepEqual(await broker.presence(channel('presence-empty')), []);
    });

    test('unsubscribe stops delivery to that handler only', async (t) => {
      const broker = await open(t);
      const ch = channel('unsub');
      const [gone, stays] = [recorder(), recorder()];
      await broker.subscribe(ch, gone.handler);
      await broker.subscribe(ch, stays.handler);
      await broker.subscribe(ch, stays.handler); // twice: still one delivery each
      await broker.publish(ch, 1, HISTORY);
      await eventually(() => gone.events.length === 1 && stays.events.length === 1, 'first deliveries');
      await broker.unsubscribe(ch, gone.handler);
      await broker.unsubscribe(ch, () => {}); // unknown handler: ignored
      await broker.unsubscribe(channel('never'), gone.handler);
      await broker.publish(ch, 2, HISTORY);
      await broker.publish(ch, 3, HISTORY);
      await eventually(() => stays.events.length === 3, 'later deliveries');
      assert.deepEqual(
        gone.publications().map((p) => p.data),
        [1],
      );
      assert.deepEqual(
        stays.publications().map((p) => p.data),
        [1, 2, 3],
      );
    });

    test('health reports ok, and operations after close reject', async (t) => {
      const broker = await open(t);
      const health = await broker.health();
      assert.equal(health.ok, true);
      await broker.close();
      await broker.close(); // idempotent
      await assert.rejects(broker.publish(channel('closed'), 1, HISTORY), {
        name: 'BrokerError',
        code: 'BROKER_CLOSED',
      });
      await assert.rejects(broker.history(channel('closed')), { name: 'BrokerError', code: 'BROKER_CLOSED' });
      assert.equal((await broker.health()).ok, false);
    });

    test('bad publish options are refused with RangeError', async (t) => {
      const broker = await open(t);
      const ch = channel('options');
      await assert.rejects(broker.publish(ch, 1, { historySize: -1, historyTtlMs: 1000 }), RangeError);
      await assert.rejects(broker.publish(ch, 1, { historySize: 1.5, historyTtlMs: 1000 }), RangeError);
      await assert.rejects(broker.publish(ch, 1, { historySize: 1, historyTtlMs: Number.NaN }), RangeError);
      await assert.rejects(
        broker.publish(ch, 1, { ...HISTORY, idempotencyKey: 'k', idempotencyWindowMs: -1 }),
        RangeError,
      );
      await assert.rejects(broker.history(ch, { limit: -1 }), RangeError);
      assert.deepEqual((await broker.history(ch)).publications, [], 'nothing was published by a refused call');
      assert.equal((await broker.publish(ch, 1, HISTORY)).offset, 1, 'no offset was consumed by a refused call');
    });
  });
}
