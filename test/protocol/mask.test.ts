// Tests for src/protocol/mask.ts: the word-wise kernel proven against the byte loop (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mask, maskBytes, maskWords } from '../../src/protocol/mask.ts';

function reference(data: Uint8Array, key: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[(offset + i) % 4]!;
  return out;
}

test('RFC 6455 §5.3 masks "Hello" with key 37 fa 21 3d', () => {
  const data = new TextEncoder().encode('Hello');
  mask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
  assert.equal(Buffer.from(data).toString('hex'), '7f9f4d5158');
});

test('word kernel equals the byte loop for every length 0-64, alignment 0-3 and key offset 0-3', () => {
  const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  const backing = new Uint8Array(64 + 8);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 37 + 11) & 255;
  for (let len = 0; len <= 64; len++) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 4; offset++) {
        const expected = reference(backing.subarray(align, align + len), key, offset);
        for (const kernel of [maskWords, maskBytes, mask]) {
          const copy = backing.slice();
          const view = copy.subarray(align, align + len);
          kernel(view, key, offset);
          assert.deepEqual(view, expected, `${kernel.name} len ${len} align ${align} offset ${offset}`);
          assert.deepEqual(copy.subarray(0, align), backing.subarray(0, align), 'bytes before untouched');
          assert.deepEqual(copy.subarray(align + len), backing.subarray(align + len), 'bytes after untouched');
        }
      }
    }
  }
});

test('mask is its own inverse and equals the reference on random data (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.nat(3),
      fc.nat(3),
      (bytes, key, align, offset) => {
        const backing = new Uint8Array(bytes.length + align);
        backing.set(bytes, align);
        const view = backing.subarray(align);
        mask(view, key, offset);
        assert.deepEqual(view, reference(bytes, key, offset));
        mask(view, key, offset);
        assert.deepEqual(view, bytes);
      },
    ),
    { numRuns: 300 },
  );
});

test('masking in pieces with the carried key offset equals masking at once', () => {
  const key = new Uint8Array([1, 2, 3, 4]);
  const whole = new Uint8Array(200).map((_, i) => i);
  const expected = reference(whole, key, 0);
  const pieces = whole.slice();
  for (const [a, b] of [
    [0, 3],
    [3, 70],
    [70, 71],
    [71, 200],
  ] as const)
    mask(pieces.subarray(a, b), key, a);
  assert.deepEqual(pieces, expected);
});
