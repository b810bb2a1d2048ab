// Tests for src/protocol/utf8.ts: the streaming DFA against node's buffer.isUtf8 (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { Utf8Validator, createUtf8Validator, isUtf8Valid } from '../../src/protocol/utf8.ts';

const bytes = (...b: number[]) => new Uint8Array(b);

test('every 1- and 2-byte sequence agrees with buffer.isUtf8', () => {
  for (let a = 0; a < 256; a++) {
    assert.equal(isUtf8Valid(bytes(a)), isUtf8(bytes(a)), `${a}`);
    for (let b = 0; b < 256; b++) assert.equal(isUtf8Valid(bytes(a, b)), isUtf8(bytes(a, b)), `${a} ${b}`);
  }
});

test('every 3-byte sequence with a lead byte E0-F4 agrees with buffer.isUtf8', () => {
  for (let a = 0xe0; a <= 0xf4; a++) {
    for (let b = 0x70; b < 0xd0; b++) {
      for (let c = 0x70; c < 0xd0; c++) {
        const s = bytes(a, b, c);
        if (isUtf8Valid(s) !== isUtf8(s)) assert.fail(`${a} ${b} ${c}`);
      }
    }
  }
});

test('RFC 3629 edge code points are valid: U+0000, U+FFFE, U+FFFF, U+10FFFF', () => {
  for (const s of [bytes(0), bytes(0xef, 0xbf, 0xbe), bytes(0xef, 0xbf, 0xbf), bytes(0xf4, 0x8f, 0xbf, 0xbf)])
    assert.ok(isUtf8Valid(s));
});

test('the validator fails at the first byte that cannot continue (Autobahn 6.4 fail fast)', () => {
  const cases: Array<[Uint8Array, number]> = [
    [bytes(0xc0, 0x80), 0],
    [bytes(0xc1), 0],
    [bytes(0x41, 0xed, 0xa0, 0x80), 2],
    [bytes(0xf4, 0x90, 0x80, 0x80), 1],
    [bytes(0xe0, 0x80), 1],
    [bytes(0xf0, 0x80), 1],
    [bytes(0xff), 0],
    [bytes(0x80), 0],
    [bytes(0xf5), 0],
    [bytes(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xf4, 0x90, 0x80, 0x80), 12],
  ];
  for (const [input, at] of cases) {
    const v = createUtf8Validator();
    let ok = true;
    for (let i = 0; i < input.length && ok; i++) {
      ok = v.feed(input, i, i + 1);
      if (i < at) assert.ok(ok, `byte ${i} still viable`);
    }
    assert.equal(v.failed, true);
    assert.equal(v.failedAt, at);
    assert.equal(v.feed(bytes(0x41)), false, 'stays failed');
  }
});

test('a sequence split across pieces is accepted; a truncated tail is incomplete (RFC 6455 §5.6)', () => {
  const v = new Utf8Validator();
  assert.ok(v.feed(bytes(0xf0, 0x9f)));
  assert.equal(v.complete, false);
  assert.equal(v.failed, false);
  assert.ok(v.feed(bytes(0x98)));
  assert.ok(v.feed(bytes(0x80)));
  assert.equal(v.complete, true);
  v.reset();
  assert.ok(v.feed(bytes(0xe2, 0x82)));
  assert.equal(v.complete, false);
  v.reset();
  assert.equal(v.complete, true);
  assert.equal(v.failedAt, -1);
});

test('streaming with random split points agrees with buffer.isUtf8 (property)', () => {
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => new TextEncoder().encode(s)),
    fc
      .tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 4 }), fc.nat(40))
      .map(([s, junk, at]) => {
        const a = new TextEncoder().encode(s);
        const b = new Uint8Array(a.length + junk.length);
        const p = Math.min(at, a.length);
        b.set(a.subarray(0, p));
        b.set(junk, p);
        b.set(a.subarray(p), p + junk.length);
        return b;
      }),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(80), { maxLength: 6 }), (data, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
      const v = createUtf8Validator();
      let start = 0;
      for (const p of [...points, data.length]) {
        v.feed(data, start, p);
        start = p;
      }
      const expected = isUtf8(data);
      assert.equal(v.complete, expected);
      assert.equal(isUtf8Valid(data), expected);
    }),
    { numRuns: 1000 },
  );
});

test('§8.1 a validator with a native whole-buffer check agrees with the DFA alone on any split of any bytes', () => {
  let calls = 0;
  const check = (d: Uint8Array): boolean => {
    calls++;
    return isUtf8(d);
  };
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 150 }),
      fc.nat(),
      fc.nat(),
      (noise, text, cut, at) => {
        // Mostly valid text (so the check says yes) with an occasional raw byte spliced in.
        const valid = new TextEncoder().encode(`${'x'.repeat(64)}${text}${'y'.repeat(64)}`);
        const data =
          noise.length % 3 === 0
            ? valid
            : new Uint8Array([
                ...valid.subarray(0, at % (valid.length + 1)),
                ...noise.subarray(0, 2),
                ...valid.subarray(at % (valid.length + 1)),
              ]);
        const split = data.length === 0 ? 0 : cut % data.length;
        const fast = new Utf8Validator(check);
        const slow = new Utf8Validator();
        for (const [s, e] of [
          [0, split],
          [split, data.length],
        ] as const) {
          assert.equal(fast.feed(data, s, e), slow.feed(data, s, e));
        }
        assert.equal(fast.complete, slow.complete);
        assert.equal(fast.failed, slow.failed);
        assert.equal(fast.failedAt, slow.failedAt);
      },
    ),
    { numRuns: 500 },
  );
  assert.ok(calls > 0, 'the native check was used');
});

test('§8.1 a piece of 64+ bytes that ends inside a code point is not rejected by the native check', () => {
  const text = new TextEncoder().encode(`${'a'.repeat(70)}κ`);
  const v = new Utf8Validator(isUtf8);
  assert.equal(v.feed(text.subarray(0, text.length - 1)), true);
  assert.equal(v.complete, false);
  assert.equal(v.feed(text.subarray(text.length - 1)), true);
  assert.equal(v.complete, true);
  const bad = new Uint8Array([...new Uint8Array(80).fill(0x61), 0xed, 0xa0, 0x80]);
  const w = new Utf8Validator(isUtf8);
  assert.equal(w.feed(bad), false);
  assert.equal(w.failedAt, 81);
});
