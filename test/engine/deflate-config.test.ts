// Tests of src/engine/deflate-config.ts: the perMessageDeflate options of both roles, validated once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientDeflateConfig, serverDeflateConfig } from '../../src/engine/deflate-config.ts';
import { sharedZlibLimiter } from '../../src/engine/zlib-limiter.ts';

for (const [role, make] of [
  ['server', serverDeflateConfig],
  ['client', clientDeflateConfig],
] as const) {
  test(`${role}: false or absent turns compression off, true gives the defaults (threshold 1024, limiter of 10)`, () => {
    assert.equal(make(undefined), null);
    assert.equal(make(false), null);
    const on = make(true)!;
    assert.deepEqual(on.negotiation, {});
    assert.equal(on.threshold, 1024);
    assert.equal(on.limiter, sharedZlibLimiter(10));
  });

  test(`${role}: the negotiation fields are kept apart from threshold and concurrency`, () => {
    const config = make({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
      threshold: 0,
      concurrency: 4,
    })!;
    assert.deepEqual(config.negotiation, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
    });
    assert.equal(config.threshold, 0);
    assert.equal(config.limiter, sharedZlibLimiter(4));
  });

  test(`${role}: invalid window bits, threshold or concurrency throw RangeError`, () => {
    for (const bad of [
      { serverMaxWindowBits: 7 },
      { clientMaxWindowBits: 16 },
      { serverMaxWindowBits: 9.5 },
      { threshold: -1 },
      { threshold: 0.5 },
      { concurrency: 0 },
    ]) {
      assert.throws(() => make(bad), RangeError, JSON.stringify(bad));
    }
  });
}

test('client: clientMaxWindowBits may be a boolean (offer without a value, or not at all)', () => {
  assert.deepEqual(clientDeflateConfig({ clientMaxWindowBits: false })!.negotiation, { clientMaxWindowBits: false });
  assert.deepEqual(clientDeflateConfig({ clientMaxWindowBits: true })!.negotiation, { clientMaxWindowBits: true });
});
