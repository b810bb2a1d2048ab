// Tests of src/engine/message-queue.ts: bounded buffering behind async iteration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageQueue } from '../../src/engine/message-queue.ts';

test('the queue asks to pause at 128 messages and to resume once drained', async () => {
  const calls: boolean[] = [];
  const q = new MessageQueue(
    (on) => calls.push(on),
    () => {},
  );
  for (let i = 0; i < 127; i++) q.push(`m${i}`, 2);
  assert.deepEqual(calls, []);
  q.push('m127', 4);
  assert.deepEqual(calls, [true]);
  for (let i = 0; i < 128; i++) assert.equal((await q.next()).value, `m${i}`);
  assert.deepEqual(calls, [true, false]);
});

test('the queue asks to pause at 1 MiB queued', () => {
  const calls: boolean[] = [];
  const q = new MessageQueue(
    (on) => calls.push(on),
    () => {},
  );
  q.push(Buffer.alloc(1), 1024 * 1024);
  assert.deepEqual(calls, [true]);
});

test('a waiting next() gets the message directly; end() finishes after the queued ones', async () => {
  const q = new MessageQueue(
    () => {},
    () => {},
  );
  const pending = q.next();
  q.push('direct', 6);
  assert.deepEqual(await pending, { value: 'direct', done: false });
  q.push('queued', 6);
  q.end();
  assert.deepEqual(await q.next(), { value: 'queued', done: false });
  assert.deepEqual(await q.next(), { value: undefined, done: true });
  const waiting = new MessageQueue(
    () => {},
    () => {},
  );
  const p = waiting.next();
  waiting.end();
  assert.deepEqual(await p, { value: undefined, done: true });
});

test('return() drops the queue, resumes reading and reports the abandon', async () => {
  const calls: boolean[] = [];
  let abandoned = 0;
  const q = new MessageQueue(
    (on) => calls.push(on),
    () => void abandoned++,
  );
  for (let i = 0; i < 200; i++) q.push('x', 1);
  await q.return();
  assert.deepEqual(calls, [true, false]);
  assert.equal(abandoned, 1);
  assert.equal(q.done, true);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
  q.push('late', 4);
  assert.deepEqual(await q.next(), { value: undefined, done: true });
});
