#!/usr/bin/env node
// Micro-benchmark of the masking kernels in src/protocol/mask.ts on 4 KiB payloads (run `npx tsc -p tsconfig.build.json` first).
// Usage: flock /tmp/bench.lock taskset -c 1 node bench/mask-kernels.mjs
import { mask, maskBytes, maskSimd, maskWords } from '../dist/protocol/mask.js';

const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
const buf = Buffer.alloc(65536, 0x61);
const N = 4096;
const ROUNDS = 200_000;
for (const kernel of [maskBytes, maskWords, maskSimd, mask]) {
  let ns = 0;
  for (let r = 0; r < 3; r++) {
    let off = 6; // 4 KiB frames after a 6-byte header: unaligned views into one read, as on the wire
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ROUNDS; i++) {
      kernel(buf.subarray(off, off + N), key, 0);
      off = (off + N + 6) & 0x7fff;
    }
    ns = Number(process.hrtime.bigint() - t0) / ROUNDS;
  }
  console.log(`${kernel.name.padEnd(10)} ${ns.toFixed(0).padStart(6)} ns per 4 KiB`);
}
