// Broker contract of moderation (tombstones, the `deleted` event, the ban list), run against every Broker.
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Broker, ChannelEvent, PublishOptions } from '../../src/broker/index.ts';

const HISTORY: PublishOptions = { historySize: 100, historyTtlMs: 600_000 };

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function channel(label: string): string {
  return `test:${label}-${randomUUID()}`;
}

/**
 * Registers the moderation contract.
 * @param name Implementation name shown in test titles.
 * @param makeBroker Creates a fresh, ready broker (closed after each test).
 */
export function runModerationContract(name: string, makeBroker: () => Promise<Broker>): void {
  async function open(t: TestContext): Promise<Broker> {
    const broker = await makeBroker();
    t.after(() => broker.close());
    return broker;
  }

  describe(`Broker moderation contract: ${name}`, () => {
    test('a deleted publication becomes a tombstone in place: offsets stay contiguous, data, sender and id are gone', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb');
      for (let i = 1; i <= 5; i++) await broker.publish(ch, { n: i }, { ...HISTORY, sender: 'alice', id: `m${i}` });
      const deleted = await broker.deletePublication(ch, 3);
      assert.equal(deleted.result, 'deleted');
      const h = await broker.history(ch);
      assert.equal(h.epoch, deleted.epoch);
      assert.deepEqual(
        h.publications.map((p) => p.offset),
        [1, 2, 3, 4, 5],
      );
      const tomb = h.publications[2]!;
      assert.equal(tomb.deleted, true);
      assert.equal(tomb.data, null);
      assert.equal(tomb.sender, undefined);
      assert.equal(tomb.id, undefined);
      assert.ok(Number.isSafeInteger(tomb.time) && tomb.time > 0);
      assert.deepEqual(h.publications[1]!.data, { n: 2 });
      // Recovery across the tombstone: gapless, the tombstone included.
      const r = await broker.history(ch, { since: { epoch: h.epoch, offset: 2 } });
      assert.equal(r.recovered, true);
      assert.deepEqual(
        r.publications.map((p) => [p.offset, p.deleted === true]),
        [
          [3, true],
          [4, false],
          [5, false],
        ],
      );
      // Limits count the tombstone like any publication, newest-first and oldest-first alike.
      assert.deepEqual(
        (await broker.history(ch, { limit: 3 })).publications.map((p) => p.offset),
        [3, 4, 5],
      );
      assert.deepEqual(
        (await broker.history(ch, { since: { epoch: h.epoch, offset: 1 }, limit: 2 })).publications.map(
          (p) => p.offset,
        ),
        [2, 3],
      );
      assert.deepEqual(
        (await broker.history(ch, { before: 4, limit: 2 })).publications.map((p) => p.offset),
        [2, 3],
      );
    });

    test('deleting the oldest retained publication keeps a recovery from just before it possible', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb-oldest');
      for (let i = 1; i <= 3; i++) await broker.publish(ch, i, HISTORY);
      assert.equal((await broker.deletePublication(ch, 1)).result, 'deleted');
      const top = await broker.history(ch, { limit: 0 });
      const r = await broker.history(ch, { since: { epoch: top.epoch, offset: 0 } });
      assert.equal(r.recovered, true);
      assert.deepEqual(
        r.publications.map((p) => [p.offset, p.deleted === true]),
        [
          [1, true],
          [2, false],
          [3, false],
        ],
      );
      assert.equal((await broker.deletePublication(ch, 3)).result, 'deleted');
      assert.deepEqual(
        (await broker.history(ch)).publications.map((p) => p.offset),
        [1, 2, 3],
      );
    });

    test('a second delete says already_deleted; unknown, future, trimmed offsets and another epoch say not_found', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb-codes');
      const small: PublishOptions = { historySize: 2, historyTtlMs: 600_000 };
      for (let i = 1; i <= 4; i++) await broker.publish(ch, i, small);
      assert.equal((await broker.deletePublication(ch, 4)).result, 'deleted');
      assert.equal((await broker.deletePublication(ch, 4)).result, 'already_deleted');
      assert.equal((await broker.deletePublication(ch, 1)).result, 'not_found', 'trimmed');
      assert.equal((await broker.deletePublication(ch, 0)).result, 'not_found');
      assert.equal((await broker.deletePublication(ch, 5)).result, 'not_found', 'not yet published');
      assert.equal((await broker.deletePublication(ch, Number.MAX_SAFE_INTEGER)).result, 'not_found');
      assert.equal((await broker.deletePublication(ch, 3, { epoch: 'another-epoch' })).result, 'not_found');
      assert.equal((await broker.deletePublication(channel('never'), 1)).result, 'not_found');
      await assert.rejects(() => broker.deletePublication(ch, -1), RangeError);
      await assert.rejects(() => broker.deletePublication(ch, 1.5), RangeError);
      const h = await broker.history(ch);
      assert.equal((await broker.deletePublication(ch, 3, { epoch: h.epoch })).result, 'deleted');
    });

    test('onlySender deletes the author’s own publication and leaves anyone else’s untouched', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb-author');
      await broker.publish(ch, 'by alice', { ...HISTORY, sender: 'alice' });
      await broker.publish(ch, 'by server', HISTORY);
      assert.equal((await broker.deletePublication(ch, 1, { onlySender: 'bob' })).result, 'not_sender');
      assert.equal((await broker.deletePublication(ch, 2, { onlySender: 'alice' })).result, 'not_sender');
      assert.deepEqual(
        (await broker.history(ch)).publications.map((p) => p.data),
        ['by alice', 'by server'],
      );
      assert.equal((await broker.deletePublication(ch, 1, { onlySender: 'alice' })).result, 'deleted');
    });

    test('handlers receive deleted after the publication, in order with later publications', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb-live');
      const events: ChannelEvent[] = [];
      await broker.subscribe(ch, (e) => events.push(e));
      const first = await broker.publish(ch, 'a', HISTORY);
      await broker.deletePublication(ch, first.offset);
      await broker.publish(ch, 'b', HISTORY);
      await eventually(() => events.length === 3, 'three events');
      assert.deepEqual(
        events.map((e) => e.type),
        ['publication', 'deleted', 'publication'],
      );
      assert.deepEqual(events[1], { type: 'deleted', channel: ch, epoch: first.epoch, offset: first.offset });
      await broker.deletePublication(ch, first.offset);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(events.length, 3, 'an already deleted publication sends no second event');
    });

    test('a tombstone expires with the publication it replaced', async (t) => {
      const broker = await open(t);
      const ch = channel('tomb-ttl');
      await broker.publish(ch, 'short-lived', { historySize: 10, historyTtlMs: 150 });
      assert.equal((await broker.deletePublication(ch, 1)).result, 'deleted');
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual((await broker.history(ch)).publications, []);
      assert.equal((await broker.deletePublication(ch, 1)).result, 'not_found');
    });

    test('a ban lasts its duration, lists soonest ending first, and can be lifted', async (t) => {
      const broker = await open(t);
      const [u1, u2] = [`u1-${randomUUID()}`, `u2-${randomUUID()}`];
      const before = Date.now();
      const ban = await broker.ban(u1, 60_000, 'spam');
      assert.equal(ban.user, u1);
      assert.equal(ban.reason, 'spam');
      assert.ok(ban.until >= before + 59_000 && ban.until <= Date.now() + 61_000);
      await broker.ban(u2, 30_000, '');
      assert.deepEqual(await broker.isBanned(u1), ban);
      const listed = (await broker.bans()).filter((b) => b.user === u1 || b.user === u2);
      assert.deepEqual(
        listed.map((b) => b.user),
        [u2, u1],
      );
      assert.equal(await broker.unban(u1), true);
      assert.equal(await broker.unban(u1), false);
      assert.equal(await broker.isBanned(u1), null);
      assert.equal(await broker.isBanned(`nobody-${randomUUID()}`), null);
      await assert.rejects(() => broker.ban(u1, 0, ''), RangeError);
      await assert.rejects(() => broker.ban(u1, -5, ''), RangeError);
      await assert.rejects(() => broker.ban(u1, Number.POSITIVE_INFINITY, ''), RangeError);
    });

    test('a ban ends by itself when its duration is over', async (t) => {
      const broker = await open(t);
      const user = `short-${randomUUID()}`;
      await broker.ban(user, 100, 'cool down');
      assert.notEqual(await broker.isBanned(user), null);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(await broker.isBanned(user), null);
      assert.ok(!(await broker.bans()).some((b) => b.user === user));
    });
  });
}
