// Sans-I/O protocol core: the RFC 6455 §5.3 masking kernel. No sockets, no timers.

import { randomFillSync } from 'node:crypto';

// Below this size the byte loop beats creating a Uint32Array view (judgment from WS's bufferutil
// fallback, which switches at 48 bytes; the property test proves both paths equal).
const WORD_THRESHOLD = 48;

const scratchKey = new Uint8Array(4);
const scratchWord = new Uint32Array(scratchKey.buffer);

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
    const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
    for (let w = 0; w < words; w++) view[w] = view[w]! ^ k;
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
  else maskWords(data, key, offset);
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
