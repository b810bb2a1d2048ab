// Sans-I/O protocol core: the RFC 6455 §5.3 masking kernel. No sockets, no timers.

import { randomFillSync } from 'node:crypto';

// Below this size the byte loop beats creating a Uint32Array view (judgment from WS's bufferutil
// fallback, which switches at 48 bytes; the property test proves both paths equal).
const WORD_THRESHOLD = 48;

const scratchKey = new Uint8Array(4);
// Int32, not Uint32: XOR yields a signed 32-bit value, which an Int32Array stores as is; storing it
// into a Uint32Array made V8 convert every word (2.4 µs per 4 KiB vs 0.9 µs unrolled over Int32).
const scratchWord = new Int32Array(scratchKey.buffer);

// From this size on, the WebAssembly SIMD kernel wins: two memcpys and 16-byte XORs beat the word
// loop (4 KiB: 0.41 µs against 0.89 µs, bench/mask-kernels.mjs), below it the call and copies do not pay.
const SIMD_THRESHOLD = 256;
/** Bytes the SIMD kernel handles per call: its whole memory, one 64 KiB page. */
const SIMD_BLOCK = 65536;

/**
 * A WebAssembly module (hand-assembled, 139 bytes) exporting memory `m` (one page) and
 * `x(n, k)`: for each 16-byte block below `n` (a multiple of 64), `m[i..i+16) ^= splat(k)`,
 * four blocks per loop turn. WebAssembly has no I/O: the core stays sans-I/O and portable.
 */
function simdModuleBytes(): Uint8Array {
  const body = [
    0x02,
    0x01,
    0x7f,
    0x01,
    0x7b, // locals: i32 $i, v128 $kv
    0x20,
    0x01,
    0xfd,
    0x11,
    0x21,
    0x03, // $kv = i32x4.splat($k)
    0x02,
    0x40,
    0x03,
    0x40, // block, loop
    0x20,
    0x02,
    0x20,
    0x00,
    0x4f,
    0x0d,
    0x01, // br_if (i >= n) out
  ];
  for (let j = 0; j < 4; j++) {
    // v128.store offset=16j (i, v128.xor(v128.load offset=16j (i), $kv))
    body.push(0x20, 0x02, 0x20, 0x02, 0xfd, 0x00, 0x04, j * 16, 0x20, 0x03, 0xfd, 0x51, 0xfd, 0x0b, 0x04, j * 16);
  }
  body.push(0x20, 0x02, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x02, 0x0c, 0x00); // i += 64; continue
  body.push(0x0b, 0x0b, 0x0b); // end loop, block, function
  const section = (id: number, bytes: number[]): number[] => [id, bytes.length, ...bytes];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00]), // type (i32, i32) -> ()
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, 0x01]), // memory: min 1 page
    ...section(7, [0x02, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x78, 0x00, 0x00]), // export "m", "x"
    ...section(10, [0x01, body.length, ...body]),
  ]);
}

interface SimdKernel {
  readonly memory: Uint8Array;
  readonly xor: (n: number, k: number) => void;
}

/** The part of the WebAssembly JS API used here (the protocol layer compiles without DOM or Node types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { m: { buffer: ArrayBuffer }; x: (n: number, k: number) => void } };
}

/** The SIMD kernel, or null where WebAssembly or its SIMD proposal is missing (then words only). */
const simd: SimdKernel | null = (() => {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return null;
    const bytes = simdModuleBytes();
    if (!wasm.validate(bytes)) return null;
    const exports = new wasm.Instance(new wasm.Module(bytes)).exports;
    return { memory: new Uint8Array(exports.m.buffer, 0, SIMD_BLOCK), xor: exports.x };
  } catch {
    return null;
  }
})();

/**
 * Reference byte loop: `data[i] ^= key[(offset + i) & 3]`. Kept for tests and tiny payloads.
 * @param data - bytes to (un)mask in place
 * @param key - the 4-byte masking key
 * @param offset - position in the key cycle of `data[0]`, default 0
 */
export function maskBytes(data: Uint8Array, key: Uint8Array, offset = 0): void {
  const k0 = key[offset & 3]!;
  const k1 = key[(offset + 1) & 3]!;
  const k2 = key[(offset + 2) & 3]!;
  const k3 = key[(offset + 3) & 3]!;
  const n = data.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    data[i] = data[i]! ^ k0;
    data[i + 1] = data[i + 1]! ^ k1;
    data[i + 2] = data[i + 2]! ^ k2;
    data[i + 3] = data[i + 3]! ^ k3;
  }
  if (i < n) data[i] = data[i]! ^ k0;
  if (i + 1 < n) data[i + 1] = data[i + 1]! ^ k1;
  if (i + 2 < n) data[i + 2] = data[i + 2]! ^ k2;
}

/**
 * Word-wise kernel: byte loop up to a 4-byte aligned address, then 32-bit XORs over a Uint32Array
 * view, then the tail. Always takes the word path (exported for the kernel-vs-loop property test).
 * @param data - bytes to (un)mask in place
 * @param key - the 4-byte masking key
 * @param offset - position in the key cycle of `data[0]`, default 0
 */
export function maskWords(data: Uint8Array, key: Uint8Array, offset = 0): void {
  const n = data.length;
  let head = (4 - (data.byteOffset & 3)) & 3;
  if (head > n) head = n;
  for (let i = 0; i < head; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
  const words = (n - head) >>> 2;
  if (words > 0) {
    const start = offset + head;
    scratchKey[0] = key[start & 3]!;
    scratchKey[1] = key[(start + 1) & 3]!;
    scratchKey[2] = key[(start + 2) & 3]!;
    scratchKey[3] = key[(start + 3) & 3]!;
    const k = scratchWord[0]!;
    const view = new Int32Array(data.buffer, data.byteOffset + head, words);
    const unrolled = words & ~3;
    let w = 0;
    for (; w < unrolled; w += 4) {
      view[w] = view[w]! ^ k;
      view[w + 1] = view[w + 1]! ^ k;
      view[w + 2] = view[w + 2]! ^ k;
      view[w + 3] = view[w + 3]! ^ k;
    }
    for (; w < words; w++) view[w] = view[w]! ^ k;
  }
  for (let i = head + words * 4; i < n; i++) data[i] = data[i]! ^ key[(offset + i) & 3]!;
}

/**
 * Masks or unmasks `data` in place (the operation is its own inverse, RFC 6455 §5.3:
 * "octet i of the transformed data is the XOR of octet i of the original data with octet at
 * index i modulo 4 of the masking key").
 *
 * @param data - bytes to transform in place; the caller must own them
 * @param key - the 4-byte masking key
 * @param offset - position in the 4-byte key cycle of `data[0]` (bytes of the same payload already
 *   transformed), default 0
 *
 * @example
 * ```ts
 * const data = new Uint8Array([1, 2, 3]);
 * mask(data, new Uint8Array([1, 2, 3, 4])); // data is now [0, 0, 0]
 * ```
 */
export function mask(data: Uint8Array, key: Uint8Array, offset = 0): void {
  if (data.length < WORD_THRESHOLD) maskBytes(data, key, offset);
  else if (data.length < SIMD_THRESHOLD || simd === null) maskWords(data, key, offset);
  else maskSimd(data, key, offset);
}

/** Whether {@link maskSimd} is available (WebAssembly with SIMD). */
export const hasSimdMask: boolean = simd !== null;

/**
 * SIMD kernel: each 64 KiB block is copied into the module's memory, XORed 16 bytes at a time
 * and copied back. Falls back to {@link maskWords} where WebAssembly SIMD is missing (exported
 * for the kernel-vs-loop property test).
 * @param data - bytes to (un)mask in place
 * @param key - the 4-byte masking key
 * @param offset - position in the key cycle of `data[0]`, default 0
 */
export function maskSimd(data: Uint8Array, key: Uint8Array, offset = 0): void {
  const kernel = simd;
  if (kernel === null) {
    maskWords(data, key, offset);
    return;
  }
  // The memory copy starts at address 0, so byte i of a block is XORed with key byte (offset + i) & 3
  // (blocks are multiples of 4 bytes long, so every block starts at the same key phase).
  scratchKey[0] = key[offset & 3]!;
  scratchKey[1] = key[(offset + 1) & 3]!;
  scratchKey[2] = key[(offset + 2) & 3]!;
  scratchKey[3] = key[(offset + 3) & 3]!;
  const k = scratchWord[0]!;
  const memory = kernel.memory;
  const n = data.length;
  for (let at = 0; at < n; at += SIMD_BLOCK) {
    const len = Math.min(n - at, SIMD_BLOCK);
    const part = at === 0 && len === n ? data : data.subarray(at, at + len);
    memory.set(part, 0);
    // Rounded up to the loop's 64-byte step: the XORed bytes past `len` are scratch, never copied back.
    kernel.xor((len + 63) & ~63, k);
    part.set(len === SIMD_BLOCK ? memory : memory.subarray(0, len), 0);
  }
}

// 8 KiB of CSPRNG output serves 2048 keys per refill (WS `generateMask`): one syscall instead of one per frame.
const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

/**
 * Returns 4 fresh random bytes for a client frame (§5.3: "The masking key is a 32-bit value chosen
 * at random by the client ... MUST pick a fresh masking key from the set of allowed 32-bit values").
 *
 * @returns a view into a shared pool: use it at once (it is overwritten after 2048 further keys)
 */
export function randomMaskKey(): Uint8Array {
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const key = pool.subarray(poolOffset, poolOffset + 4);
  poolOffset += 4;
  return key;
}
