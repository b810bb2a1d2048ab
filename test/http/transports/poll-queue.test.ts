// The long-polling queue (src/http/transports/poll-transport.ts) on its own: thousands of messages acknowledged in
// steps that cross its compaction, re-polls with an older ack, bounds per answer, and the bytes it reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawAnswer } from '../../../src/http/transports/answers.ts';
import { PollTransport } from '../../../src/http/transports/poll-transport.ts';

function pollNow(t: PollTransport, ack: number): { seq: number; messages: { n: number }[] } {
  let answer: RawAnswer | null = null;
  t.poll(ack, { answer: (a) => (answer = a) });
  if (answer === null) throw new Error('the poll was held');
  return JSON.parse((answer as RawAnswer).body) as { seq: number; messages: { n: number }[] };
}

test('acks in steps across the compaction forget exactly what they acknowledge; older acks get what is left', (t) => {
  const transport = new PollTransport(
    '127.0.0.1',
    { pollTimeoutMs: 60_000, sessionTimeoutMs: 60_000, maxQueuedMessages: 10_000, maxMessagesPerAnswer: 700 },
    { expired: () => {}, overflow: () => assert.fail('no overflow'), finished: () => {} },
  );
  t.after(() => transport.dispose());
  const frame = (n: number) => JSON.stringify({ n });
  for (let n = 1; n <= 3000; n++) transport.send(frame(n));
  assert.equal(
    transport.bufferedAmount,
    Array.from({ length: 3000 }, (_, i) => frame(i + 1).length).reduce((a, b) => a + b),
  );
  let ack = 0;
  const seen: number[] = [];
  while (ack < 3000) {
    const answer = pollNow(transport, ack);
    assert.equal(answer.messages.length, Math.min(700, 3000 - ack));
    assert.equal(answer.seq, ack + answer.messages.length);
    seen.push(...answer.messages.map((m) => m.n));
    // An answer "lost": polling again with an ack already forgotten past gives what is still queued, from its start.
    if (ack >= 1400) assert.equal(pollNow(transport, 700).messages[0]!.n, ack + 1);
    ack = answer.seq;
  }
  assert.deepEqual(
    seen,
    Array.from({ length: 3000 }, (_, i) => i + 1),
  );
  for (let n = 3001; n <= 3002; n++) transport.send(frame(n));
  assert.deepEqual(pollNow(transport, 3000).messages, [{ n: 3001 }, { n: 3002 }]);
  pollNow(transport, 3002 - 1);
  assert.equal(transport.bufferedAmount, frame(3002).length);
});
