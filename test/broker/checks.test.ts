// Tests of src/broker/checks.ts: the argument checks and epoch generator MemoryBroker and RedisBroker share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCount, checkDuration, newEpoch, positive } from '../../src/broker/checks.ts';

test('checkCount accepts non-negative safe integers and names the option it refuses', () => {
  assert.equal(checkCount(0, 'limit'), 0);
  assert.equal(checkCount(1000, 'limit'), 1000);
  for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
    assert.throws(() => checkCount(bad, 'limit'), {
      name: 'RangeError',
      message: `Cannot use limit: expected a non-negative integer, got ${String(bad)}`,
    });
  }
});

test('checkDuration accepts finite non-negative numbers, fractions included', () => {
  assert.equal(checkDuration(0, 'historyTtlMs'), 0);
  assert.equal(checkDuration(1.5, 'historyTtlMs'), 1.5);
  for (const bad of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
    assert.throws(() => checkDuration(bad, 'historyTtlMs'), {
      name: 'RangeError',
      message: /^Cannot use historyTtlMs: expected a finite non-negative number of ms/,
    });
  }
});

test('positive refuses zero, negatives and fractions', () => {
  assert.equal(positive(1, 'commandTimeoutMs'), 1);
  for (const bad of [0, -5, 0.5, Number.NaN])
    assert.throws(() => positive(bad, 'commandTimeoutMs'), {
      name: 'RangeError',
      message: /commandTimeoutMs: expected a positive integer/,
    });
});

test('newEpoch: 12 base64url characters, different every time', () => {
  const epochs = new Set(Array.from({ length: 1000 }, () => newEpoch()));
  assert.equal(epochs.size, 1000);
  for (const e of epochs) assert.match(e, /^[A-Za-z0-9_-]{12}$/);
});
