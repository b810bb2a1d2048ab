// docs/security-cases.md 4.13 at the SDK level: a hostile server (garbage frames, unknown types, huge numbers, out-of-order
// offsets, malformed answers) never crashes the client, never breaks its ordering, and gaps are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Client, type GapEvent } from '../../src/client/index.ts';
import { ScriptedSocket, scriptedClient } from './fixtures/scripted-socket.ts';

async function connected(t: { after(fn: () => void): void }): Promise<{ client: Client; socket: ScriptedSocket }> {
  return scriptedClient(t, { url: 'ws://hostile/ws' });
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const pub = (offset: number, epoch = 'E1', channel = 'chat:h'): Record<string, unknown> => ({
  type: 'publication',
  channel,
  epoch,
  offset,
  data: { n: offset },
  time: 1,
});

test('client survives garbage frames, unknown types, huge numbers and hostile keys from the server (docs/security-cases.md 4.13)', async (t) => {
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };
  process.on('uncaughtException', onCrash);
  t.after(() => process.off('uncaughtException', onCrash));
  const { client, socket } = await connected(t);
  const hostile: unknown[] = [
    'not json',
    '',
    '{',
    '[]',
    'null',
    '42',
    '"str"',
    new Uint8Array([0xc1, 0xff, 0x00]),
    new ArrayBuffer(3),
    { type: 'no-such-type', x: 1 },
    { type: 'publication' },
    { type: 'publication', channel: 'chat:h', epoch: 'E1', offset: -1, data: 1, time: 1 },
    '{"type":"publication","channel":"chat:h","epoch":"E1","offset":1e400,"data":1,"time":1}',
    { type: 'publication', channel: 'chat:h', epoch: 'E1', offset: 2 ** 60, data: 1, time: 1 },
    { type: 'publication', channel: 'chat:h', epoch: 'E1', offset: 1.5, data: 1, time: 1 },
    '{"type":"publication","__proto__":{"polluted":1},"channel":"chat:h","epoch":"E1","offset":1,"data":1,"time":1}',
    '['.repeat(100_000) + ']'.repeat(100_000),
    { type: 'reply', re: 999_999, data: {} },
    { type: 'reply', re: -1 },
    { type: 'error', code: 'x'.repeat(10_000), message: 'm' },
    { type: 'disconnect', code: 99_999, reason: 'r', reconnect: 'yes' },
    { type: 'connected', client: 'c2', user: 'evil' },
    { type: 'join', channel: 'chat:h' },
    { type: 'typing', channel: '*', user: 'x', on: true },
  ];
  for (const frame of hostile) socket.push(frame);
  await flush();
  assert.equal(client.state, 'connected');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
  assert.equal(client.session?.user, 'u', 'an unsolicited connected does not replace the session');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array(), fc.json()), (frame) => {
      socket.push(frame);
      return client.state === 'connected';
    }),
    { numRuns: 500 },
  );
  await flush();
  assert.deepEqual(crashes, []);
});

test('client delivers in offset order despite a server sending duplicates, stale and skipped offsets; holes are filled from history or reported', async (t) => {
  const { client, socket } = await connected(t);
  const delivered: number[] = [];
  const gaps: GapEvent[] = [];
  const sub = client.subscription('chat:h');
  sub.on('publication', (p) => delivered.push(p.offset));
  sub.on('gap', (g) => gaps.push(g));
  const subscribed = sub.subscribe();
  await flush();
  // A live publication racing ahead of the subscribe answer is held, then delivered after it.
  socket.push(pub(1));
  socket.push({
    type: 'subscribed',
    re: socket.last('subscribe')['rid'],
    channel: 'chat:h',
    epoch: 'E1',
    offset: 0,
    recovered: false,
    publications: [],
  });
  await subscribed;
  for (const o of [2, 2, 1]) socket.push(pub(o));
  assert.deepEqual(delivered, [1, 2]);
  socket.push(pub(5)); // skips 3 and 4: the client asks history for them and holds 5
  socket.push(pub(6));
  await flush();
  const history = socket.last('history');
  assert.deepEqual(history['since'], { epoch: 'E1', offset: 2 });
  socket.push({
    type: 'reply',
    re: history['rid'],
    data: {
      channel: 'chat:h',
      epoch: 'E1',
      offset: 6,
      recovered: true,
      publications: [
        { channel: 'chat:h', epoch: 'E1', offset: 4, data: 4, time: 1 },
        { channel: 'chat:h', epoch: 'E1', offset: 3, data: 3, time: 1 },
        { channel: 'chat:other', epoch: 'E1', offset: 7, data: 'foreign', time: 1 },
      ],
    },
  });
  await flush();
  assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6], 'filled, sorted, other channels ignored');
  socket.push(pub(9)); // history answers garbage: the hole is reported, not looped on
  await flush();
  socket.push({ type: 'reply', re: socket.last('history')['rid'], data: { publications: 'nope' } });
  await flush();
  assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 9]);
  assert.equal(gaps.at(-1)?.reason, 'history_incomplete');
  socket.push(pub(1, 'E2')); // a new epoch mid-stream
  assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 9, 1]);
  assert.equal(gaps.at(-1)?.reason, 'epoch_changed');
  assert.equal(client.metrics.duplicates, 2);
  assert.equal(client.metrics.gaps, 2);
  assert.equal(client.state, 'connected');
});

test('client treats a server that stops answering as dead (application ping) and a close code >= 4500 as final', async (t) => {
  let socket: ScriptedSocket | null = null;
  const client = new Client({
    url: 'ws://hostile/ws',
    transport: () => (socket = new ScriptedSocket()),
    pingIntervalMs: 50,
    pingTimeoutMs: 50,
    reconnect: { minDelayMs: 10, maxDelayMs: 20 },
  });
  t.after(() => client.close());
  const reasons: string[] = [];
  client.on('statechange', (s) => reasons.push(`${s.state}:${s.reason}`));
  const ready = client.connect();
  await flush();
  const first = socket!;
  first.open();
  first.push({ type: 'connected', re: first.last('connect')['rid'], client: 'c', user: 'u' });
  await ready;
  const deadline = Date.now() + 2000;
  while (!reasons.includes('disconnected:ping_timeout') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(reasons.includes('disconnected:ping_timeout'), reasons.join(' '));
  while (socket === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const second = socket!;
  second.open();
  second.push({ type: 'connected', re: second.last('connect')['rid'], client: 'c', user: 'u' });
  await flush();
  second.push({ type: 'disconnect', code: 4504, reason: 'forbidden', reconnect: false });
  second.close(4504, 'forbidden');
  assert.equal(client.state, 'closed');
  assert.equal(reasons.at(-1), 'closed:server_disconnect');
});
