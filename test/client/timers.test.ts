// TimerSet: tracked timeouts fire once, clear() cancels one, clearAll() cancels every pending one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerSet } from '../../src/client/timers.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a started timeout fires once; a cleared one never fires; clear(null) is a no-op', async () => {
  const timers = new TimerSet();
  const fired: string[] = [];
  timers.start(() => fired.push('a'), 5);
  const b = timers.start(() => fired.push('b'), 5);
  timers.clear(b);
  timers.clear(null);
  await sleep(30);
  assert.deepEqual(fired, ['a']);
});

test('clearAll cancels every pending timeout and the set can be reused', async () => {
  const timers = new TimerSet();
  const fired: number[] = [];
  for (let i = 0; i < 5; i++) timers.start(() => fired.push(i), 5);
  timers.clearAll();
  await sleep(30);
  assert.equal(fired.length, 0, 'no cleared timeout fired');
  timers.start(() => fired.push(9), 1);
  await sleep(20);
  assert.deepEqual(fired, [9]);
});
