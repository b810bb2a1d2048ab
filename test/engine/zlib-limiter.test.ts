// Tests of src/engine/zlib-limiter.ts: FIFO order, the concurrency cap, one shared limiter per value, lanes in call order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lane, sharedZlibLimiter, ZlibLimiter } from '../../src/engine/zlib-limiter.ts';
import { PerMessageDeflate } from '../../src/engine/deflate.ts';

test('ZlibLimiter runs at most `concurrency` jobs, the rest in FIFO order', async () => {
  const limiter = new ZlibLimiter(2);
  const started: number[] = [];
  const dones: Array<() => void> = [];
  for (let i = 0; i < 6; i++) {
    limiter.add((done) => {
      started.push(i);
      dones.push(done);
    });
  }
  assert.deepEqual(started, [0, 1]);
  assert.equal(limiter.running, 2);
  assert.equal(limiter.pending, 4);
  dones[1]!();
  dones[1]!(); // a second call is ignored
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(limiter.running, 2);
  dones[0]!();
  dones[2]!();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  for (const d of dones) d();
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.equal(limiter.running, 0);
  assert.throws(() => new ZlibLimiter(0), RangeError);
  assert.equal(sharedZlibLimiter(), sharedZlibLimiter(10), 'one process-wide limiter per concurrency value');
  assert.equal(sharedZlibLimiter().concurrency, 10);
});

test('many connections share the limiter: at most 10 zlib jobs run at once', async () => {
  const limiter = new ZlibLimiter(10);
  const pmds = Array.from(
    { length: 40 },
    () =>
      new PerMessageDeflate({
        role: 'server',
        params: {
          serverNoContextTakeover: false,
          clientNoContextTakeover: false,
          serverMaxWindowBits: 15,
          clientMaxWindowBits: 15,
        },
        limiter,
      }),
  );
  let maxRunning = 0;
  const message = Buffer.alloc(64 * 1024, 0x43);
  await Promise.all(
    pmds.map(
      (pmd) =>
        new Promise<void>((resolve, reject) => {
          pmd.compress(message, (err) => {
            maxRunning = Math.max(maxRunning, limiter.running);
            if (err !== null) reject(err);
            else resolve();
          });
          maxRunning = Math.max(maxRunning, limiter.running);
        }),
    ),
  );
  assert.ok(maxRunning <= 10, `max running ${maxRunning}`);
  assert.equal(limiter.running, 0);
  for (const pmd of pmds) pmd.close();
});

test('a lane runs its jobs one at a time in call order, each taking a limiter slot; close() drops the queue', () => {
  const limiter = new ZlibLimiter(5);
  const lane = new Lane(limiter);
  const started: number[] = [];
  const dones: Array<() => void> = [];
  for (let i = 0; i < 3; i++) {
    lane.add((done) => {
      started.push(i);
      dones.push(done);
    });
  }
  assert.deepEqual(started, [0], 'one at a time');
  assert.equal(limiter.running, 1);
  dones[0]!();
  assert.deepEqual(started, [0, 1]);
  dones[1]!();
  assert.deepEqual(started, [0, 1, 2]);
  lane.add(() => started.push(99));
  lane.close();
  dones[2]!();
  assert.deepEqual(started, [0, 1, 2], 'queued jobs are dropped after close');
  assert.equal(limiter.running, 0);
  lane.add(() => started.push(100));
  assert.deepEqual(started, [0, 1, 2]);
});
