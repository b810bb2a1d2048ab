// Tests of the MemoryBroker's idempotency keys: the same answers as a plain model (fast-check), a bounded queue, and
// forgetting the oldest key in constant time at the cap (the regression: a walk over the Map's deleted entries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IdempotencyKeys } from '../../src/broker/memory-idempotency.ts';

const RESULT = (offset: number) => ({ epoch: 'e', offset, duplicate: false });

/** The rules stated plainly: insertion order, drop the expired at the front, then the oldest beyond the cap. */
class Model {
  entries: { key: string; offset: number; expiresAt: number }[] = [];
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  seen(key: string, now: number): number | undefined {
    const e = this.entries.find((x) => x.key === key);
    return e !== undefined && e.expiresAt > now ? e.offset : undefined;
  }
  remember(key: string, offset: number, expiresAt: number, now: number): void {
    this.entries = this.entries.filter((x) => x.key !== key);
    this.entries.push({ key, offset, expiresAt });
    while (this.entries.length > 0 && (this.entries.length > this.max || this.entries[0]!.expiresAt <= now))
      this.entries.shift();
  }
  sweep(now: number): void {
    this.entries = this.entries.filter((x) => x.expiresAt > now);
  }
}

test('idempotency keys answer as the plain model over any sequence of remember, seen, sweep and time', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('remember' as const),
      key: fc.integer({ min: 0, max: 12 }),
      ttl: fc.integer({ min: 1, max: 50 }),
    }),
    fc.record({ kind: fc.constant('seen' as const), key: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 30 }) }),
    fc.record({ kind: fc.constant('sweep' as const) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
      let now = 1_000;
      const keys = new IdempotencyKeys(max, () => now);
      const model = new Model(max);
      let offset = 0;
      for (const o of ops) {
        if (o.kind === 'remember') {
          // The broker remembers a key only when `seen` did not find it (a live key answers as a duplicate).
          if (keys.seen(`k${o.key}`, now) !== undefined) continue;
          offset++;
          keys.remember(`k${o.key}`, RESULT(offset), now + o.ttl);
          model.remember(`k${o.key}`, offset, now + o.ttl, now);
        } else if (o.kind === 'seen') {
          assert.equal(keys.seen(`k${o.key}`, now)?.offset, model.seen(`k${o.key}`, now));
        } else if (o.kind === 'advance') now += o.ms;
        else {
          keys.sweep(now);
          model.sweep(now);
        }
        assert.ok(keys.size <= max, `size ${keys.size} over the cap ${max}`);
      }
      for (let k = 0; k <= 12; k++) assert.equal(keys.seen(`k${k}`, now)?.offset, model.seen(`k${k}`, now));
    }),
    { numRuns: 300 },
  );
});

test('the insertion queue stays bounded when one key is remembered again and again behind a long-lived one', () => {
  let now = 0;
  const keys = new IdempotencyKeys(100, () => now);
  keys.remember('long-lived', RESULT(0), 1e12);
  for (let i = 1; i <= 100_000; i++) {
    now++;
    keys.remember('short', RESULT(i), now + 1); // expired at the next step, so remembered again each time
  }
  assert.equal(keys.size, 2);
  assert.ok(
    keys.queueLength <= 2 * keys.size + 1024 + 1,
    `queue holds ${keys.queueLength} entries for ${keys.size} keys`,
  );
  assert.equal(keys.seen('long-lived', now)?.offset, 0);
});

test('at the cap, remembering forgets the oldest key without walking the deleted ones (100,000 keys, 300,000 publishes)', () => {
  // Before the fix each remember at the cap walked every entry deleted since V8's last rehash of the Map: this loop
  // took 6.2 s here against 0.2 s now. It asserts the rule, not a time: the oldest keys go first, the newest stay.
  const now = 0;
  const keys = new IdempotencyKeys(100_000, () => now);
  for (let i = 0; i < 300_000; i++) keys.remember(`k${i}`, RESULT(i), 1e12);
  assert.equal(keys.size, 100_000);
  assert.equal(keys.seen('k199999', now), undefined);
  assert.equal(keys.seen('k200000', now)?.offset, 200_000);
  assert.equal(keys.seen('k299999', now)?.offset, 299_999);
  assert.ok(keys.queueLength <= 100_000 + 1024);
});
