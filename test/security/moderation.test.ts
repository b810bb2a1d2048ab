// Hostile moderation inputs: random delete requests never crash the server, always get an answer with a stable code
// and never touch another user's publication without the role; ban durations outside 1 ms to a year are refused
// whatever the value; malformed deny-list entries are refused when the server is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_BAN_MS } from '../../src/realtime/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

const CODES = new Set(['invalid_message', 'not_found', 'forbidden', 'not_available']);

test('random delete requests from a user without the role get an error code each and delete nothing', async (t) => {
  // Schema violations are strikes (10 close the connection, docs/protocol.md §13): lifted so every case is answered.
  const hub = await startHub(t, {
    rateLimit: { messagesPerSecond: 100_000, messagesBurst: 100_000 },
    maxStrikes: 100_000,
  });
  for (let i = 1; i <= 5; i++) await hub.hub.publish('chat:target', `kept-${i}`, { sender: 'victim' });
  const mallory = await openClient(t, hub, 'mallory');
  const offset = fc.oneof(
    fc.integer({ min: -10, max: 10 }),
    fc.constantFrom(2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e308, -0, 0.5),
    fc.string({ maxLength: 5 }),
    fc.constant(null),
    fc.array(fc.nat(), { maxLength: 2 }),
  );
  const channel = fc.oneof(
    fc.constantFrom('chat:target', 'nohist:x', 'nope:x', 'chat:*', 'user:victim', '', 'chat:'),
    fc.string({ maxLength: 12 }),
  );
  const epoch = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 70 }));
  await fc.assert(
    fc.asyncProperty(channel, offset, epoch, async (ch, off, ep) => {
      const answer = await mallory.request({
        type: 'delete',
        channel: ch,
        offset: off,
        ...(ep === undefined ? {} : { epoch: ep }),
      });
      assert.equal(answer.type, 'error', JSON.stringify({ ch, off, ep, answer }));
      assert.ok(CODES.has(answer['code'] as string), String(answer['code']));
    }),
    { numRuns: 300 },
  );
  assert.equal(mallory.closeCode, null);
  const history = (await mallory.request({ type: 'history', channel: 'chat:target' }))['data'] as {
    publications: { data?: unknown }[];
  };
  assert.deepEqual(
    history.publications.map((p) => p.data),
    ['kept-1', 'kept-2', 'kept-3', 'kept-4', 'kept-5'],
  );
});

test('a ban duration outside 1 ms to a year is refused whatever the value, and nothing is banned', async (t) => {
  const hub = await startHub(t);
  const bad = fc.oneof(
    fc.double({ noNaN: false }).filter((d) => !(Number.isSafeInteger(d) && d >= 1 && d <= MAX_BAN_MS)),
    fc.integer({ min: MAX_BAN_MS + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }),
  );
  await fc.assert(
    fc.asyncProperty(bad, async (durationMs) => {
      await assert.rejects(() => hub.hub.moderation.ban('target', durationMs, ''), RangeError);
    }),
    { numRuns: 300 },
  );
  assert.deepEqual(await hub.hub.moderation.bans(), []);
  assert.equal(await hub.broker.isBanned('target'), null);
});

test('malformed denyAddresses entries are refused when the hub is built, naming the entry', async (t) => {
  for (const entry of [
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    'example.com',
    '',
    '1.2.3.4.5',
    '10.0.0.0/ 8',
  ]) {
    await assert.rejects(
      () => startHub(t, { denyAddresses: [entry] }),
      (err: Error) => err instanceof TypeError && err.message.startsWith('denyAddresses:'),
      JSON.stringify(entry),
    );
  }
});
