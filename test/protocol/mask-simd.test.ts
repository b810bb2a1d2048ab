// Tests for the WebAssembly SIMD kernel of src/protocol/mask.ts, proven against the byte loop (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hasSimdMask, mask, maskBytes, maskSimd } from '../../src/protocol/mask.ts';

function reference(data: Uint8Array, key: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[(offset + i) % 4]!;
  return out;
}

test('the SIMD kernel is available on Node 20 (WebAssembly SIMD)', () => {
  assert.equal(hasSimdMask, true);
});

test('SIMD kernel equals the byte loop for lengths around its 64-byte step, alignment 0-3 and key offset 0-3', () => {
  const key = new Uint8Array([0x9a, 0x01, 0xfe, 0x42]);
  const backing = new Uint8Array(1100);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 31 + 7) & 255;
  for (const len of [0, 1, 3, 4, 15, 16, 17, 63, 64, 65, 127, 128, 255, 256, 257, 1023, 1024, 1025, 1090]) {
    for (let align = 0; align < 4; align++) {
      for (let offset = 0; offset < 4; offset++) {
        const expected = reference(backing.subarray(align, align + len), key, offset);
        for (const kernel of [maskSimd, mask]) {
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

test('SIMD kernel handles payloads over its 64 KiB memory in blocks, with any key offset', () => {
  const key = new Uint8Array([1, 2, 3, 4]);
  for (const len of [65535, 65536, 65537, 200_003]) {
    for (const offset of [0, 3]) {
      const data = new Uint8Array(len + 1).map((_, i) => (i * 13) & 255).subarray(1);
      const expected = reference(data, key, offset);
      maskSimd(data, key, offset);
      assert.ok(Buffer.from(data).equals(Buffer.from(expected)), `len ${len} offset ${offset}`);
    }
  }
});

test('SIMD kernel equals the byte loop on random data, and masking is its own inverse (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 200, maxLength: 3000 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.nat(3),
      fc.nat(3),
      (bytes, key, align, offset) => {
        const backing = new Uint8Array(bytes.length + align);
        backing.set(bytes, align);
        const view = backing.subarray(align);
        const expected = bytes.slice();
        maskBytes(expected, key, offset);
        maskSimd(view, key, offset);
        assert.deepEqual(view, expected);
        mask(view, key, offset);
        assert.deepEqual(view, bytes);
      },
    ),
    { numRuns: 200 },
  );
});
