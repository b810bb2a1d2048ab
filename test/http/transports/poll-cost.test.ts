// What makes a long poll cheap must not change what it does: the shared join of a fan-out's messages, the one lazy
// deadline timer per session, the answer written as one buffer, the client's leaving noticed on its connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plainAnswer, type RawAnswer } from '../../../src/http/transports/answers.ts';
import { DeadlineTimer } from '../../../src/http/transports/deadline-timer.ts';
import { joinFrames, pollAnswer } from '../../../src/http/transports/poll-answer.ts';
import { PollTransport } from '../../../src/http/transports/poll-transport.ts';
import { PollSession } from '../../helpers/http-session.ts';
import { startHttpServer } from '../../helpers/http-session-server.ts';

const LIMITS = { pollTimeoutMs: 60_000, sessionTimeoutMs: 60_000, maxQueuedMessages: 10_000, maxMessagesPerAnswer: 3 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transport(t: { after(fn: () => void): void }): PollTransport {
  const tr = new PollTransport('127.0.0.1', LIMITS, { expired: () => {}, overflow: () => {}, finished: () => {} });
  t.after(() => tr.dispose());
  return tr;
}

function pollNow(tr: PollTransport, ack: number): RawAnswer {
  let answer: RawAnswer | null = null;
  tr.poll(ack, { answer: (a) => (answer = a) });
  if (answer === null) throw new Error('the poll was held');
  return answer;
}

/** The bytes a client receives: the pieces when there are, else the body. */
function wire(answer: RawAnswer): string {
  const p = answer.pieces;
  return p === undefined ? answer.body : p.head + p.shared.toString('utf8') + p.tail;
}

test('sessions holding the same frames share one encoding; a run with other frames of the same count does not', (t) => {
  const a = transport(t);
  const b = transport(t);
  const c = transport(t);
  const frames = ['{"n":1}', '{"n":"é"}', '{"n":3}'];
  for (const f of frames) {
    a.send(f);
    b.send(f);
  }
  // The same count, other content: must not be answered from the shared run.
  for (const f of ['{"n":7}', '{"n":8}', '{"n":9}']) c.send(f);
  const first = pollNow(a, 0);
  const second = pollNow(b, 0);
  const other = pollNow(c, 0);
  assert.equal(first.pieces?.shared, second.pieces?.shared, 'one buffer for both sessions');
  assert.deepEqual(JSON.parse(first.body), { seq: 3, messages: [{ n: 1 }, { n: 'é' }, { n: 3 }] });
  assert.equal(wire(first), first.body);
  assert.deepEqual(JSON.parse(wire(other)), { seq: 3, messages: [{ n: 7 }, { n: 8 }, { n: 9 }] });
  // The answers' bound still splits: 3 per answer, the 4th comes next, alone.
  a.send('{"n":4}');
  assert.deepEqual(JSON.parse(wire(pollNow(a, 3))), { seq: 4, messages: [{ n: 4 }] });
});

test('a joined run equals its frames joined; an answer crosses the broker as plain text with the same body', () => {
  const frames = ['{"a":1}', '{"b":"ü"}', '{"c":3}', '{"d":4}'];
  const run = joinFrames(frames, 1, 3);
  assert.equal(run.text, '{"b":"ü"},{"c":3}');
  assert.equal(run.bytes.toString('utf8'), run.text);
  assert.equal(joinFrames(frames.slice(), 1, 3), run, 'the same strings again: the shared run');
  const closing = pollAnswer(9, run, { code: 4000, reason: 'bye ✓' });
  assert.equal(wire(closing), closing.body);
  assert.deepEqual(JSON.parse(closing.body), {
    seq: 9,
    messages: [{ b: 'ü' }, { c: 3 }],
    close: { code: 4000, reason: 'bye ✓' },
  });
  const plain = plainAnswer(closing);
  assert.equal(plain.pieces, undefined);
  assert.equal(plain.body, closing.body);
  assert.deepEqual(JSON.parse(JSON.stringify(plain)), { status: 200, body: closing.body });
});

test('the deadline timer fires once at the latest deadline, earlier when moved earlier, never once disarmed', async () => {
  const fired: number[] = [];
  const start = performance.now();
  const timer = new DeadlineTimer(() => fired.push(performance.now() - start));
  timer.arm(40);
  timer.arm(150); // later: the running timer waits the rest
  await sleep(100);
  assert.deepEqual(fired, [], 'not at the first deadline');
  await sleep(150);
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 149, `fired at ${fired[0]} ms, before the deadline`);
  timer.arm(5_000);
  timer.arm(30); // earlier: a new timer
  await sleep(120);
  assert.equal(fired.length, 2);
  timer.arm(30);
  timer.disarm();
  await sleep(80);
  assert.equal(fired.length, 2, 'disarmed');
  timer.arm(30);
  timer.stop();
  await sleep(80);
  assert.equal(fired.length, 2, 'stopped');
});

test('a held poll whose client went away lets the session time out; a poll after it is answered as usual', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { pollTimeoutMs: 30_000, sessionTimeoutMs: 400 } });
  const p = await PollSession.open(srv.base);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  const away = new AbortController();
  const held = fetch(`${srv.base}/http/poll?session=${encodeURIComponent(p.session)}&ack=0`, {
    signal: away.signal,
  }).catch(() => null);
  await sleep(150);
  away.abort();
  await held;
  // Noticed, the session ends 400 ms after the client left; unnoticed, it outlives this deadline (seen: about 5 s).
  const deadline = Date.now() + 3000;
  while (srv.server.hub.connectionCount > 0 && Date.now() < deadline) await sleep(20);
  assert.equal(srv.server.hub.connectionCount, 0);
  assert.equal((await p.pollRaw(0)).status, 404);
});
