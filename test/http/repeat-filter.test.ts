// RepeatFilter: once per key per window, a cap across keys, bounded memory, and a count of what was held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RepeatFilter } from '../../src/http/repeat-filter.ts';

test('a key is let through once per window; the repeats held back are reported with the next line', () => {
  let now = 0;
  const filter = new RepeatFilter({ windowMs: 60_000, now: () => now });
  assert.equal(filter.take('http://evil.example'), 0);
  for (let i = 0; i < 4; i++) assert.equal(filter.take('http://evil.example'), null);
  now = 59_999;
  assert.equal(filter.take('http://evil.example'), null);
  now = 60_000;
  assert.equal(filter.take('http://evil.example'), 5);
});

test('many distinct keys are capped per window', () => {
  let now = 0;
  const filter = new RepeatFilter({ windowMs: 1000, maxPerWindow: 3, now: () => now });
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e'].map((k) => filter.take(k)),
    [0, 0, 0, null, null],
  );
  now = 1000;
  assert.equal(filter.take('d'), 2);
});

test('the remembered keys are bounded: the oldest is forgotten first', () => {
  const filter = new RepeatFilter({ windowMs: 1000, maxKeys: 2, now: () => 0 });
  assert.deepEqual(
    ['a', 'b', 'c'].map((k) => filter.take(k)),
    [0, 0, 0],
  );
  assert.equal(filter.take('c'), null);
  assert.equal(filter.take('b'), null);
  assert.equal(filter.take('a'), 2, 'forgotten, so let through again');
});
