// The memory of accepted signatures: refuses a replay inside the window, forgets only what aged out, stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SignatureReplayGuard } from '../../src/integrations/index.ts';

test('a signature is accepted once, refused as replayed inside the window, and forgotten once it can no longer verify', () => {
  let now = 1_800_000_000_000;
  const guard = new SignatureReplayGuard({ toleranceSec: 300, now: () => now });
  const t = now / 1000;
  assert.equal(guard.accept('a', t), 'ok');
  assert.equal(guard.accept('a', t), 'replayed');
  now += 300_000;
  assert.equal(guard.accept('a', t), 'replayed', 'at t + tolerance it still verifies, so it is still remembered');
  now += 1000;
  assert.equal(guard.accept('b', now / 1000), 'ok');
  assert.equal(guard.size, 1, 'a aged out');
});

test('when full it refuses new signatures rather than forget one, and takes them again once old ones expire', () => {
  let now = 1_800_000_000_000;
  const guard = new SignatureReplayGuard({ maxEntries: 3, toleranceSec: 10, now: () => now });
  for (const s of ['a', 'b', 'c']) assert.equal(guard.accept(s, now / 1000), 'ok');
  assert.equal(guard.accept('d', now / 1000), 'full');
  assert.equal(guard.accept('a', now / 1000), 'replayed', 'a replay is still a replay when full');
  now += 11_000;
  assert.equal(guard.accept('d', now / 1000), 'ok');
  assert.equal(guard.size, 1);
});

test('under any sequence of signatures and clock steps the memory never exceeds its bound and never forgets a live one', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -10, max: 10 }), fc.nat(3000)), {
        maxLength: 300,
      }),
      (steps) => {
        let now = 1_800_000_000_000;
        const guard = new SignatureReplayGuard({ maxEntries: 16, toleranceSec: 10, now: () => now });
        const accepted = new Map<string, number>();
        for (const [sig, skewSec, advanceMs] of steps) {
          now += advanceMs;
          const t = Math.floor(now / 1000) + skewSec;
          const name = `s${sig}-${t}`;
          const result = guard.accept(name, t);
          assert.ok(guard.size <= 16);
          const at = accepted.get(name);
          if (at !== undefined && Math.floor(now / 1000) <= at + 10) assert.equal(result, 'replayed');
          if (result === 'ok') accepted.set(name, t);
        }
      },
    ),
  );
});
