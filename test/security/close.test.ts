// docs/security-cases.md §4.4 (CL-01..CL-08): the close handshake under valid, invalid and abrupt input, over TCP to a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose, frame, frames, hex, closePayload } from '../helpers/raw.ts';
import { hostile } from '../helpers/hostile.ts';

test('CL-01 server echoes every valid close code and closes TCP first (RFC 6455 §5.5.1, §7.1.1 "server SHOULD initiate a TCP Close")', async (t) => {
  const fx = await hostile(t);
  const codes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
  for (const code of codes) {
    const c = await fx.open();
    await c.write(frames.close(code, `r${code}`));
    const close = await c.readClose();
    assert.equal(close.code, code, `echo of ${code}`);
    // We never end our side: the server must close the TCP connection itself.
    assert.ok(await c.waitEnd(3_000), `server did not close TCP after echoing ${code}`);
    c.destroy();
  }
  const closes = await fx.server.waitCloses(codes.length);
  assert.deepEqual(
    closes.map((x) => x.code),
    codes,
    'the application sees the peer code',
  );
  assert.deepEqual(
    closes.map((x) => x.reason),
    codes.map((x) => `r${x}`),
  );
  await fx.verify();
});

test('CL-02 server fails invalid close codes with 1002 (RFC 6455 §7.4.1-7.4.2)', async (t) => {
  const fx = await hostile(t);
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    await t.test(String(code), async () => {
      const c = await fx.open();
      await c.write(frames.close(code));
      await expectClose(c, 1002);
    });
  }
  await fx.verify();
});

test('CL-03 server fails a 1-byte close payload with 1002, answers an empty one without a code, accepts 123-byte reasons, fails 124 (RFC 6455 §5.5, §5.5.1)', async (t) => {
  const fx = await hostile(t);
  {
    const c = await fx.open();
    await c.write(frame({ opcode: 8, payload: hex('03') }));
    await expectClose(c, 1002);
  }
  {
    const c = await fx.open();
    await c.write(frame({ opcode: 8, payload: Buffer.alloc(0) }));
    const close = await expectClose(c, [1005, 1000]);
    assert.ok(
      close.payloadLength === 0 || close.code === 1000,
      'reply without a code (or 1000), never 1005 on the wire',
    );
  }
  {
    const c = await fx.open();
    await c.write(frames.close(1000));
    assert.equal((await expectClose(c, 1000)).reason, '');
  }
  {
    const c = await fx.open();
    const reason = 'r'.repeat(123);
    await c.write(frames.close(4001, reason));
    // The echo carries the code; the reason is not echoed back (docs/architecture.md, Conventions: a close reason never echoes peer data).
    await expectClose(c, 4001);
    const seen = await fx.server.waitCloses(4);
    assert.equal(seen.find((x) => x.code === 4001)?.reason, reason, 'the application sees the full 123-byte reason');
  }
  {
    const c = await fx.open();
    await c.write(frame({ opcode: 8, payload: closePayload(4001, 'r'.repeat(124)) }));
    await expectClose(c, 1002);
  }
  await fx.verify();
});

test('CL-04 server destroys the socket after its close timeout when the peer never answers its Close (RFC 6455 §7.1.1)', async (t) => {
  const fx = await hostile(t, { closeTimeoutMs: 500 });
  const c = await fx.open();
  await c.write(frames.text('__cmd:close:4000:bye'));
  const close = await c.readClose();
  assert.equal(close.code, 4000);
  // We neither answer nor close.
  assert.ok(await c.waitEnd(3_000), 'socket still open 3 s after the server Close with closeTimeoutMs 500');
  const closes = await fx.server.waitCloses(1);
  assert.notEqual(closes[0]!.wasClean, true, 'an unanswered close is not clean');
  await fx.verify();
});

test('CL-04 server closes TCP after echoing a peer Close even if the peer never closes its side', async (t) => {
  const fx = await hostile(t, { closeTimeoutMs: 500 });
  const c = await fx.open();
  c.stopReading();
  await c.write(frames.close(1000));
  await new Promise((r) => setTimeout(r, 100));
  c.startReading();
  assert.ok(await c.waitEnd(3_000), 'server kept the socket after the close handshake');
  await fx.verify();
});

test('CL-05 server never puts 1005, 1006 or 1015 on the wire, even when the application asks (RFC 6455 §7.4.1 "MUST NOT be set")', async (t) => {
  const fx = await hostile(t);
  for (const code of [1005, 1006, 1015, 999, 5000]) {
    const c = await fx.open();
    await c.write(frames.text(`__cmd:close:${code}:x`));
    const f = await c.readFrame();
    if (f.opcode === 0x8) {
      assert.ok(
        f.payload.length === 0 || ![1005, 1006, 1015].includes(f.payload.readUInt16BE(0)),
        `${code} went on the wire`,
      );
      assert.ok(f.payload.length === 0 || f.payload.readUInt16BE(0) !== code, `invalid code ${code} went on the wire`);
    } else {
      // The application's close() threw (InvalidAccessError / RangeError): reported back by the echo server.
      assert.match(f.payload.toString(), /^__error:/);
    }
    c.destroy();
  }
  {
    // close() without a code sends an empty payload or 1000, never 1005.
    const c = await fx.open();
    await c.write(frames.text('__cmd:close::'));
    const close = await c.readClose();
    assert.ok(close.payloadLength === 0 || close.code === 1000, `close() without code sent ${close.code}`);
  }
  await fx.verify();
});

test('CL-06 server discards a partial message when Close arrives between fragments and completes the close (RFC 6455 §5.4-5.5)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(Buffer.concat([frames.text('partial', false), frames.close(1000, 'mid')]));
  const close = await expectClose(c, 1000);
  assert.equal(close.before.length, 0);
  assert.ok(!fx.server.received.some((m) => m.text?.includes('partial')), 'partial message delivered');
  await fx.verify();
});

test('CL-07 server handles a 256 KiB message, Close and Ping back to back: the ping is not answered, the close is clean (Autobahn 7.1.6)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(Buffer.concat([frames.binary(Buffer.alloc(256 * 1024, 1)), frames.close(1000), frames.ping('after')]));
  const close = await expectClose(c, 1000);
  assert.ok(
    close.before.every((f) => f.opcode !== 0xa),
    'ping after Close was answered',
  );
  await fx.verify();
});

test('CL-08 server frees the connection on RST or EOF in every state, recording 1006 locally, with no unhandled error', async (t) => {
  const fx = await hostile(t, { closeTimeoutMs: 500 });
  const states: Array<[string, Buffer]> = [
    ['mid-handshake', Buffer.alloc(0)],
    ['mid-header', frames.binary(Buffer.alloc(300)).subarray(0, 3)],
    ['mid-payload', frames.binary(Buffer.alloc(3000)).subarray(0, 1500)],
    ['mid-fragmented', frames.text('part', false)],
    ['mid-close-frame', frames.close(1000).subarray(0, 4)],
  ];
  let opened = 0;
  for (const abrupt of ['reset', 'end'] as const) {
    for (const [state, bytes] of states) {
      if (state === 'mid-handshake') {
        const c = await fx.connect();
        await c.write('GET / HTTP/1.1\r\nHost: x\r\nUpgr');
        await new Promise((r) => setTimeout(r, 20));
        if (abrupt === 'reset') c.reset();
        else c.end();
        continue;
      }
      const c = await fx.open();
      opened++;
      await c.write(bytes);
      await new Promise((r) => setTimeout(r, 20));
      if (abrupt === 'reset') c.reset();
      else c.end();
    }
    {
      // While the server's own Close is queued: it closes, we never read, then we drop.
      const c = await fx.open();
      opened++;
      c.stopReading();
      await c.write(frames.text('__cmd:close:1001:going'));
      await new Promise((r) => setTimeout(r, 20));
      if (abrupt === 'reset') c.reset();
      else c.end();
    }
  }
  const closes = await fx.server.waitCloses(opened);
  const codes = closes.slice(0, opened).map((x) => x.code);
  assert.ok(
    codes.every((code) => code === 1006 || code === 1001),
    `local close codes: ${codes}`,
  );
  assert.ok(codes.filter((code) => code === 1006).length >= opened - 2, `abrupt losses are 1006: ${codes}`);
  await fx.verify();
});
