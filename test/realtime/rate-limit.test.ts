// Tests of src/realtime/rate-limit.ts and connection-rate-limit.ts with an injected clock: no sleeping, no timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnectionRateLimiter } from '../../src/realtime/connection-rate-limit.ts';
import { KeyedRateLimiter, rateLimitKey, StrikeTracker, TokenBucket } from '../../src/realtime/rate-limit.ts';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

test('a token bucket allows its burst, then refills at its rate', () => {
  const c = clock();
  const b = new TokenBucket({ ratePerSecond: 10, burst: 5, now: c.now });
  for (let i = 0; i < 5; i++) assert.equal(b.tryRemove(), true, `burst ${i}`);
  assert.equal(b.tryRemove(), false);
  assert.equal(b.msUntil(1), 100);
  c.advance(99);
  assert.equal(b.tryRemove(), false);
  c.advance(1);
  assert.equal(b.tryRemove(), true);
  c.advance(60_000);
  assert.equal(b.available, 5, 'never above the burst');
  assert.equal(b.isFull, true);
  assert.equal(b.msUntil(1), 0);
});

test('a cost above the burst passes only from a full bucket and leaves a debt', () => {
  const c = clock();
  const b = new TokenBucket({ ratePerSecond: 100, burst: 100, now: c.now });
  assert.equal(b.tryRemove(250), true);
  assert.equal(b.available, -150);
  assert.equal(b.tryRemove(1), false);
  c.advance(1500);
  assert.equal(b.tryRemove(1), false, 'still paying the debt');
  c.advance(10);
  assert.equal(b.tryRemove(1), true);
  assert.equal(b.tryRemove(250), false, 'not full again yet');
});

test('a clock going backwards adds no tokens', () => {
  const c = clock();
  const b = new TokenBucket({ ratePerSecond: 1, burst: 1, now: c.now });
  assert.equal(b.tryRemove(), true);
  c.advance(-10_000);
  assert.equal(b.tryRemove(), false);
  c.advance(10_999);
  assert.equal(b.tryRemove(), false, 'time is measured from the latest reading');
  c.advance(1);
  assert.equal(b.tryRemove(), true);
});

test('invalid limits throw RangeError', () => {
  assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBucket({ ratePerSecond: 1, burst: Number.NaN }), RangeError);
  assert.throws(() => new KeyedRateLimiter({ perMinute: -1 }), RangeError);
  assert.throws(() => new KeyedRateLimiter({ perMinute: 1, maxKeys: 0 }), RangeError);
  assert.throws(() => new StrikeTracker({ maxStrikes: 0 }), RangeError);
  assert.throws(() => new StrikeTracker({ windowMs: 0 }), RangeError);
});

test('RX-13: a connection flooding messages is limited by count, then recovers', () => {
  const c = clock();
  const limiter = new ConnectionRateLimiter({
    messagesPerSecond: 10,
    messagesBurst: 20,
    bytesPerSecond: 1e9,
    bytesBurst: 1e9,
    now: c.now,
  });
  let ok = 0;
  for (let i = 0; i < 1000; i++) if (limiter.check(10) === 'ok') ok++;
  assert.equal(ok, 20);
  assert.equal(limiter.check(10), 'messages');
  c.advance(1000);
  ok = 0;
  for (let i = 0; i < 1000; i++) if (limiter.check(10) === 'ok') ok++;
  assert.equal(ok, 10);
});

test('a connection sending big messages is limited by bytes, and a refused message costs no message token', () => {
  const c = clock();
  const limiter = new ConnectionRateLimiter({
    messagesPerSecond: 2,
    messagesBurst: 3,
    bytesPerSecond: 1000,
    bytesBurst: 1000,
    now: c.now,
  });
  assert.equal(limiter.check(600), 'ok');
  assert.equal(limiter.check(600), 'bytes');
  assert.equal(limiter.check(600), 'bytes');
  assert.equal(limiter.check(400), 'ok');
  assert.equal(limiter.check(1), 'bytes');
  assert.equal(limiter.check(0), 'ok', 'third message token still there: bytes refusals did not take one');
  assert.equal(limiter.check(0), 'messages');
});

test('the connection limiter answers as two token buckets would (messages, then bytes; a refusal costs nothing)', () => {
  fc.assert(
    fc.property(
      fc.record({
        messagesPerSecond: fc.integer({ min: 1, max: 100 }),
        messagesBurst: fc.integer({ min: 1, max: 20 }),
        bytesPerSecond: fc.integer({ min: 1, max: 5000 }),
        bytesBurst: fc.integer({ min: 1, max: 2000 }),
      }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 500 })), { maxLength: 60 }),
      (rates, steps) => {
        const c = clock();
        const limiter = new ConnectionRateLimiter({ ...rates, now: c.now });
        const messages = new TokenBucket({
          ratePerSecond: rates.messagesPerSecond,
          burst: rates.messagesBurst,
          now: c.now,
        });
        const bytes = new TokenBucket({ ratePerSecond: rates.bytesPerSecond, burst: rates.bytesBurst, now: c.now });
        for (const [size, wait] of steps) {
          c.advance(wait);
          const expected = messages.available < 1 ? 'messages' : !bytes.tryRemove(size) ? 'bytes' : 'ok';
          if (expected === 'ok') messages.tryRemove(1);
          assert.equal(limiter.check(size), expected);
        }
      },
    ),
  );
});

test('the connection limiter refuses non-positive rates and bursts', () => {
  for (const bad of [
    { messagesPerSecond: 0 },
    { messagesBurst: -1 },
    { bytesPerSecond: Number.NaN },
    { bytesBurst: 0 },
  ])
    assert.throws(() => new ConnectionRateLimiter(bad), RangeError);
});

test('RX-08: new connections per minute per IP are limited independently per address', () => {
  const c = clock();
  const perIp = new KeyedRateLimiter({ perMinute: 60, burst: 3, now: c.now });
  assert.deepEqual(
    [1, 2, 3, 4].map(() => perIp.tryAcquire('10.0.0.1')),
    [true, true, true, false],
  );
  assert.equal(perIp.tryAcquire('10.0.0.2'), true);
  assert.equal(perIp.msUntil('10.0.0.1'), 1000);
  assert.equal(perIp.msUntil('10.9.9.9'), 0);
  c.advance(1000);
  assert.equal(perIp.tryAcquire('10.0.0.1'), true);
  assert.equal(perIp.tryAcquire('10.0.0.1'), false);
});

test('the per-IP map stays bounded and evicts the least recently used address', () => {
  const c = clock();
  const perIp = new KeyedRateLimiter({ perMinute: 1, burst: 1, maxKeys: 3, now: c.now });
  assert.equal(perIp.tryAcquire('a'), true);
  assert.equal(perIp.tryAcquire('b'), true);
  assert.equal(perIp.tryAcquire('c'), true);
  assert.equal(perIp.tryAcquire('a'), false, 'a is used again: now the most recent');
  assert.equal(perIp.tryAcquire('d'), true);
  assert.equal(perIp.size, 3);
  assert.equal(perIp.tryAcquire('a'), false, 'a survived the eviction');
  assert.equal(perIp.tryAcquire('b'), true, 'b was evicted and starts full');
  for (let i = 0; i < 10_000; i++) perIp.tryAcquire(`ip-${i}`);
  assert.equal(perIp.size, 3);
});

test('prune forgets addresses whose bucket is full again', () => {
  const c = clock();
  const perIp = new KeyedRateLimiter({ perMinute: 60, burst: 2, now: c.now });
  perIp.tryAcquire('a');
  perIp.tryAcquire('b');
  perIp.tryAcquire('b');
  c.advance(1000);
  assert.equal(perIp.prune(), 1, 'a refilled, b has one token left to refill');
  assert.equal(perIp.size, 1);
  c.advance(1000);
  assert.equal(perIp.prune(), 1);
  assert.equal(perIp.size, 0);
});

test('strikes: N violations within the window say close; spaced ones do not', () => {
  const c = clock();
  const strikes = new StrikeTracker({ maxStrikes: 3, windowMs: 1000, now: c.now });
  assert.equal(strikes.strike(), false);
  c.advance(600);
  assert.equal(strikes.strike(), false);
  c.advance(600);
  assert.equal(strikes.count, 1, 'the first strike left the window');
  assert.equal(strikes.strike(), false);
  c.advance(100);
  assert.equal(strikes.strike(), true);
  assert.equal(strikes.strike(), true, 'stays tripped while the window is full');
  c.advance(5000);
  assert.equal(strikes.count, 0);
  assert.equal(strikes.strike(), false);
});

test('rateLimitKey groups IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
  assert.equal(rateLimitKey('203.0.113.7'), '203.0.113.7');
  assert.equal(rateLimitKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(rateLimitKey('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.equal(rateLimitKey('2001:db8:0:1::1'), '2001:db8:0:1::/64');
  assert.equal(rateLimitKey('2001:0DB8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
  assert.equal(rateLimitKey('2001:db8::1:2:3:4'), '2001:db8:0:0::/64');
  assert.equal(rateLimitKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(rateLimitKey('::1'), '0:0:0:0::/64');
  assert.equal(rateLimitKey('::'), '0:0:0:0::/64');
  assert.equal(rateLimitKey(''), '');
  for (const odd of ['1::2::3', 'zz::1', '1:2:3', '1:2:3:4:5:6:7:8:9']) assert.equal(rateLimitKey(odd), odd, odd);
  const c = clock();
  const perIp = new KeyedRateLimiter({ perMinute: 1, burst: 1, now: c.now });
  assert.equal(perIp.tryAcquire(rateLimitKey('2001:db8:0:1::a')), true);
  assert.equal(
    perIp.tryAcquire(rateLimitKey('2001:db8:0:1::b')),
    false,
    'another address of the same /64 shares the bucket',
  );
});

test('the per-IP map evicts exactly as a least-recently-used list would, over any sequence of addresses (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 300 }),
      (max, keys) => {
        const c = clock();
        // One token and no refill while the clock stands still: allowed exactly when the address is not tracked.
        const perIp = new KeyedRateLimiter({ perMinute: 1, burst: 1, maxKeys: max, now: c.now });
        let model: string[] = []; // least recently used first
        for (const k of keys) {
          const key = `ip-${k}`;
          assert.equal(perIp.tryAcquire(key), !model.includes(key));
          model = [...model.filter((m) => m !== key), key].slice(-max);
          assert.equal(perIp.size, model.length);
        }
      },
    ),
    { numRuns: 300 },
  );
});
