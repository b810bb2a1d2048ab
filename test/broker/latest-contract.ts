// Broker contract of feed keys and "latest per key" (snapshots), run against MemoryBroker and RedisBroker.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Broker, ChannelEvent, PublishOptions } from '../../src/broker/index.ts';

const KEEP: PublishOptions = { historySize: 10, historyTtlMs: 600_000, latestMaxKeys: 1000 };

function channel(label: string): string {
  return `test:${label}-${randomUUID()}`;
}

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Registers the latest-per-key contract.
 * @param name Implementation name shown in test titles.
 * @param makeBroker Creates a fresh, ready broker; closed after each test.
 */
export function runLatestContract(name: string, makeBroker: () => Promise<Broker>): void {
  async function open(t: TestContext): Promise<Broker> {
    const broker = await makeBroker();
    t.after(() => broker.close());
    return broker;
  }

  describe(`Broker latest-per-key contract: ${name}`, () => {
    test('a publication keeps its feed key in history and in live delivery', async (t) => {
      const broker = await open(t);
      const c = channel('key');
      const events: ChannelEvent[] = [];
      await broker.subscribe(c, (e) => events.push(e));
      await broker.publish(c, 1, { ...KEEP, key: 'AAPL' });
      await broker.publish(c, 2, KEEP);
      await eventually(() => events.length === 2, 'two live publications');
      const live = events.map((e) => (e.type === 'publication' ? e.publication.key : 'other'));
      assert.deepEqual(live, ['AAPL', undefined]);
      const history = await broker.history(c);
      assert.deepEqual(
        history.publications.map((p) => p.key),
        ['AAPL', undefined],
      );
      assert.equal(Object.hasOwn(history.publications[1]!, 'key'), false);
    });

    test('latest keeps the newest publication of every key, in offset order', async (t) => {
      const broker = await open(t);
      const c = channel('latest');
      for (let i = 1; i <= 60; i++) await broker.publish(c, { v: i }, { ...KEEP, key: `k${i % 20}` });
      const latest = await broker.latest(c, 1000);
      assert.equal(latest.offset, 60);
      assert.equal(latest.publications.length, 20);
      assert.deepEqual(
        latest.publications.map((p) => p.offset),
        Array.from({ length: 20 }, (_, i) => 41 + i),
      );
      for (const p of latest.publications) {
        assert.equal(p.key, `k${p.offset % 20}`);
        assert.deepEqual(p.data, { v: p.offset });
        assert.equal(p.epoch, latest.epoch);
      }
      // A limit keeps the newest.
      const three = await broker.latest(c, 3);
      assert.deepEqual(
        three.publications.map((p) => p.offset),
        [58, 59, 60],
      );
      assert.deepEqual((await broker.latest(c, 0)).publications, []);
    });

    test('publications without a key share the channel slot: latest is the last one', async (t) => {
      const broker = await open(t);
      const c = channel('nokey');
      for (let i = 1; i <= 5; i++) await broker.publish(c, i, KEEP);
      const latest = await broker.latest(c, 1000);
      assert.deepEqual(
        latest.publications.map((p) => p.data),
        [5],
      );
    });

    test('at most latestMaxKeys keys are kept: the least recently published go first', async (t) => {
      const broker = await open(t);
      const c = channel('bounded');
      for (let i = 0; i < 50; i++) await broker.publish(c, i, { ...KEEP, key: `k${i}`, latestMaxKeys: 10 });
      // Re-publishing k41 makes it the most recent: k40 is the next to go.
      await broker.publish(c, 'again', { ...KEEP, key: 'k41', latestMaxKeys: 10 });
      await broker.publish(c, 'new', { ...KEEP, key: 'k50', latestMaxKeys: 10 });
      const latest = await broker.latest(c, 1000);
      assert.deepEqual(
        latest.publications.map((p) => p.key),
        ['k42', 'k43', 'k44', 'k45', 'k46', 'k47', 'k48', 'k49', 'k41', 'k50'],
      );
    });

    test('without latestMaxKeys nothing is kept, and a deleted latest publication leaves the snapshot', async (t) => {
      const broker = await open(t);
      const c = channel('off');
      await broker.publish(c, 1, { historySize: 10, historyTtlMs: 600_000, key: 'a' });
      assert.deepEqual((await broker.latest(c, 10)).publications, []);
      const d = channel('deleted');
      await broker.publish(d, 1, { ...KEEP, key: 'a' });
      const second = await broker.publish(d, 2, { ...KEEP, key: 'b' });
      assert.equal((await broker.deletePublication(d, second.offset)).result, 'deleted');
      assert.deepEqual(
        (await broker.latest(d, 10)).publications.map((p) => p.key),
        ['a'],
      );
    });

    test('latest entries expire with the history TTL', async (t) => {
      const broker = await open(t);
      const c = channel('ttl');
      await broker.publish(c, 1, { ...KEEP, historyTtlMs: 50, key: 'a' });
      await broker.publish(c, 2, { ...KEEP, key: 'b' });
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(
        (await broker.latest(c, 10)).publications.map((p) => p.key),
        ['b'],
      );
    });

    test('bad limits and latestMaxKeys are refused with RangeError', async (t) => {
      const broker = await open(t);
      const c = channel('bad');
      await assert.rejects(broker.latest(c, -1), RangeError);
      await assert.rejects(broker.latest(c, 1.5), RangeError);
      await assert.rejects(broker.publish(c, 1, { ...KEEP, latestMaxKeys: -1 }), RangeError);
      assert.equal((await broker.history(c)).offset, 0);
    });
  });
}
