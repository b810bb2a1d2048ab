// docs/security-cases.md PD-06: a few KB per MiB of zeros that would inflate to 1 GiB close with 1009 while the server's RSS stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { hostile } from '../helpers/hostile.ts';
import { expectClose, frame } from '../helpers/raw.ts';
import { zeroBomb } from '../helpers/deflate.ts';
import { MiB } from '../helpers/memory.ts';

test('server: a one-frame bomb inflating to 1 GiB closes with 1009 at maxMessageSize, RSS stays bounded (docs/security-cases.md PD-06)', async (t) => {
  const bomb = await zeroBomb(1024 * MiB);
  assert.ok(bomb.length < 2 * MiB, `bomb is ${bomb.length} bytes`);
  // The construction is sound: a 16 MiB one built the same way inflates to exactly 16 MiB with Node's zlib.
  const small = await zeroBomb(16 * MiB);
  assert.equal(
    zlib.inflateRawSync(Buffer.concat([small, Buffer.from([0, 0, 0xff, 0xff])]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    }).length,
    16 * MiB,
  );
  assert.ok(bomb.length > 60 * small.length, 'the big one has 64 times the blocks');
  const fx = await hostile(t, { perMessageDeflate: true, maxMessageSize: 4 * MiB });
  const before = process.resourceUsage().maxRSS * 1024;
  for (let i = 0; i < 3; i++) {
    const c = await fx.open({ extensions: 'permessage-deflate; client_max_window_bits' });
    await c.write(frame({ opcode: 2, rsv1: true, payload: bomb }));
    const info = await expectClose(c, 1009, 10_000);
    assert.equal(info.before.length, 0, 'no message delivered');
  }
  const grew = process.resourceUsage().maxRSS * 1024 - before;
  // Unbounded inflation would need 1 GiB; the limit allows 4 MiB plus zlib chunks and the 1 MiB frame.
  assert.ok(grew < 96 * MiB, `peak RSS grew ${(grew / MiB).toFixed(1)} MiB`);
  assert.deepEqual(fx.server.received, [], 'the server application saw no message');
  await fx.verify();
});
