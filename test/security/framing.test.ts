// docs/security-cases.md §4.2 (FR-01..FR-18): hostile frames sent over TCP to a real server; each checks the close code, TCP release and the control client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose, frame, frames, hex, type RawClient } from '../helpers/raw.ts';
import { hostile } from '../helpers/hostile.ts';

const MASK = hex('37 fa 21 3d');

/** Expects the server to echo `expected` (text if string) as the next data message. */
async function expectEcho(c: RawClient, expected: string | Buffer, opcode?: number) {
  const m = await c.readMessage();
  if (typeof expected === 'string') {
    assert.equal(m.opcode, opcode ?? 1);
    assert.equal(m.data.toString('utf8'), expected);
  } else {
    assert.equal(m.opcode, opcode ?? 2);
    assert.ok(m.data.equals(expected), `echo differs: ${m.data.length} vs ${expected.length} bytes`);
  }
  return m;
}

test('FR-01 server fails an unmasked client frame with 1002 (RFC 6455 §5.1 "server MUST close the connection upon receiving a frame that is not masked")', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(hex('81 02 6869'));
  await expectClose(c, 1002);
  await fx.verify();
});

test('FR-02 server fails RSV1/RSV2/RSV3 without a negotiated extension with 1002, after echoing earlier valid messages (RFC 6455 §5.2)', async (t) => {
  const fx = await hostile(t);
  const cases = [
    { opcode: 1, rsv1: true },
    { opcode: 1, rsv2: true },
    { opcode: 1, rsv3: true },
    { opcode: 2, rsv2: true },
    { opcode: 2, rsv3: true },
    { opcode: 9, rsv1: true },
    { opcode: 9, rsv2: true },
    { opcode: 9, rsv3: true },
  ];
  for (const spec of cases) {
    await t.test(JSON.stringify(spec), async () => {
      const c = await fx.open();
      await c.write(Buffer.concat([frames.text('before'), frame({ ...spec, payload: 'x' })]));
      const close = await expectClose(c, 1002);
      // The valid message before the bad frame reaches the application, and its echo leaves before the Close frame.
      assert.ok(
        fx.server.received.some((m) => m.text === 'before'),
        'valid message before the bad frame delivered',
      );
      assert.deepEqual(
        close.before.map((f) => [f.opcode, f.payload.toString()]),
        [[1, 'before']],
        'echo before the Close frame',
      );
      fx.server.received.length = 0;
    });
  }
  await fx.verify();
});

test('FR-02b server echoes a valid message and then fails the bad frame that arrived in the same TCP write with 1002 (RFC 6455 §5.2, §5.4, §5.5: fail at the bad frame, as ws does)', async (t) => {
  const fx = await hostile(t);
  const bad: Array<[string, Buffer]> = [
    ['reserved data opcode 3', frame({ opcode: 3, payload: 'x' })],
    ['reserved control opcode 0xB', frame({ opcode: 0xb })],
    ['RSV2 on a text frame', frame({ opcode: 1, payload: 'x', rsv2: true })],
    ['RSV1 without permessage-deflate', frame({ opcode: 2, payload: 'x', rsv1: true })],
    ['a continuation with nothing to continue', frames.cont('x')],
    ['a fragmented ping', frame({ opcode: 9, fin: false })],
    ['a new message inside a fragmented one', Buffer.concat([frames.text('a', false), frames.text('b')])],
  ];
  for (const [name, badFrame] of bad) {
    await t.test(name, async () => {
      const c = await fx.open();
      await c.write(Buffer.concat([frames.text('first'), frames.binary(Buffer.from([1, 2, 3])), badFrame]));
      const close = await expectClose(c, 1002);
      assert.deepEqual(
        close.before.map((f) => [f.opcode, f.payload.toString('hex')]),
        [
          [1, Buffer.from('first').toString('hex')],
          [2, '010203'],
        ],
        'both echoes arrive, in order, before the Close frame',
      );
    });
  }
  await fx.verify();
});

test('FR-03 server fails reserved opcodes 0x3-0x7 and 0xB-0xF with 1002, with and without payload (RFC 6455 §5.2)', async (t) => {
  const fx = await hostile(t);
  for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    for (const payload of ['', 'reserved']) {
      const c = await fx.open();
      await c.write(frame({ opcode, payload }));
      await expectClose(c, 1002);
    }
  }
  await fx.verify();
});

test('FR-04 server fails a ping with a 126-byte payload with 1002 (RFC 6455 §5.5 "125 bytes or less")', async (t) => {
  const fx = await hostile(t);
  for (const opcode of [0x9, 0xa, 0x8]) {
    const c = await fx.open();
    const payload = opcode === 0x8 ? Buffer.concat([hex('03e8'), Buffer.alloc(124, 0x61)]) : Buffer.alloc(126, 0x61);
    await c.write(frame({ opcode, payload }));
    await expectClose(c, 1002);
  }
  await fx.verify();
});

test('FR-05 server fails fragmented control frames with 1002 (RFC 6455 §5.5 "Control frames … MUST NOT be fragmented")', async (t) => {
  const fx = await hostile(t);
  for (const opcode of [0x9, 0xa]) {
    const c = await fx.open();
    await c.write(Buffer.concat([frame({ opcode, payload: 'ab', fin: false }), frames.cont('cd')]));
    await expectClose(c, 1002);
  }
  await fx.verify();
});

test('FR-06 server fails a continuation frame with no message in progress with 1002, in one write and frame by frame (RFC 6455 §5.4)', async (t) => {
  const fx = await hostile(t);
  for (const fin of [true, false]) {
    for (const chopped of [false, true]) {
      const c = await fx.open();
      const bytes = Buffer.concat([frames.cont('orphan', fin), frames.text('after')]);
      if (chopped) await c.writeChopped(bytes, 3);
      else await c.write(bytes);
      const close = await expectClose(c, 1002);
      assert.equal(close.before.length, 0, 'nothing after the orphan continuation is processed');
    }
  }
  await fx.verify();
});

test('FR-07 server fails a new text frame inside a fragmented message with 1002 (RFC 6455 §5.4)', async (t) => {
  const fx = await hostile(t);
  for (const second of [1, 2]) {
    const c = await fx.open();
    await c.write(Buffer.concat([frames.text('frag', false), frame({ opcode: second, payload: 'new' })]));
    await expectClose(c, 1002);
  }
  await fx.verify();
});

test('FR-08 server answers a ping between fragments at once and reassembles the message (RFC 6455 §5.4 "Control frames MAY be injected")', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(Buffer.concat([frames.text('Hel', false), frames.ping('mid')]));
  const pong = await c.readFrame();
  assert.equal(pong.opcode, 0xa, 'pong sent before the message completes');
  assert.equal(pong.payload.toString(), 'mid');
  await c.write(Buffer.concat([frames.cont('lo, ', false), frames.ping('two'), frames.cont('world')]));
  const m = await c.readMessage();
  assert.equal(m.data.toString(), 'Hello, world');
  assert.deepEqual(
    m.controls.map((f) => f.payload.toString()),
    ['two'],
  );
  await fx.verify();
});

test('FR-09 server fails a 64-bit length with the most significant bit set with 1002, without waiting for a payload (RFC 6455 §5.2 "the most significant bit MUST be 0")', async (t) => {
  const fx = await hostile(t);
  for (const h of ['82 FF 8000000000000005', '82 FF FFFFFFFFFFFFFFFF', '81 FF 8000000000000000']) {
    const c = await fx.open();
    await c.write(Buffer.concat([hex(h), MASK]));
    await expectClose(c, 1002, 3_000);
  }
  await fx.verify();
});

test('FR-10 server fails a header announcing 2^40 bytes with 1009 as soon as the header is parsed (nothing buffered)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(frame({ opcode: 2, announcedLength: 2n ** 40n }));
  await expectClose(c, 1009, 3_000);
  await fx.verify();
});

test('FR-11 server handles non-minimal 16- and 64-bit lengths consistently: correct echo or 1002 (RFC 6455 §5.2 "the minimal number of bytes MUST be used")', async (t) => {
  const fx = await hostile(t);
  const outcomes: string[] = [];
  for (const lengthEncoding of [16, 64] as const) {
    const c = await fx.open();
    await c.write(Buffer.concat([frame({ opcode: 1, payload: 'hello', lengthEncoding }), frames.text('next')]));
    const first = await c.readFrame();
    if (first.opcode === 0x8) {
      assert.equal(first.payload.readUInt16BE(0), 1002);
      outcomes.push('1002');
    } else {
      assert.equal(first.payload.toString(), 'hello');
      await expectEcho(c, 'next');
      outcomes.push('accepted');
    }
    c.destroy();
  }
  assert.equal(outcomes[0], outcomes[1], 'the same policy for 16- and 64-bit encodings');
  t.diagnostic(`non-minimal length policy: ${outcomes[0]}`);
  await fx.verify();
});

test('FR-12 server produces the same answers when a valid stream arrives one byte per write (chunking invariance)', async (t) => {
  const fx = await hostile(t);
  const bin = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const stream = Buffer.concat([
    frames.text('one'),
    frames.text('fr', false),
    frames.ping('p'),
    frames.cont('ag', true),
    frames.binary(bin),
    frame({ opcode: 1, payload: 'κόσμε', maskKey: MASK }),
    frames.close(1000, 'done'),
  ]);
  const c = await fx.open();
  await c.writeChopped(stream, 1);
  const one = await c.readMessage();
  assert.equal(one.data.toString(), 'one');
  const frag = await c.readMessage();
  const controls = [...one.controls, ...frag.controls];
  assert.deepEqual(
    controls.map((f) => [f.opcode, f.payload.toString()]),
    [[0xa, 'p']],
  );
  assert.equal(frag.data.toString(), 'frag');
  await expectEcho(c, bin);
  await expectEcho(c, 'κόσμε');
  await expectClose(c, 1000);
  assert.equal((await fx.server.waitCloses(1))[0]!.reason, 'done');
  await fx.verify();
});

test('FR-13 server takes the right branch at every length boundary and fails 2^32-1, 2^32+5, 2^53-1, 2^53, 2^63-1 with 1009 (no wraparound)', async (t) => {
  const fx = await hostile(t, { maxMessageSize: 1024 * 1024 });
  const c = await fx.open();
  for (const n of [0, 1, 125, 126, 127, 0xffff, 0x10000, 0x10001]) {
    const payload = Buffer.alloc(n, n & 0xff);
    await c.write(frames.binary(payload));
    await expectEcho(c, payload);
  }
  c.destroy();
  for (const n of [2n ** 32n - 1n, 2n ** 32n + 5n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n]) {
    const x = await fx.open();
    // The announced length wraps to 5 if truncated to 32 bits: send 5 bytes to tempt a buggy parser into echoing.
    await x.write(Buffer.concat([frame({ opcode: 2, announcedLength: n }), Buffer.from('abcde')]));
    await expectClose(x, 1009, 3_000);
  }
  await fx.verify();
});

test('FR-14 server pongs with exactly the ping payload (0, 1, 125 bytes), ignores unsolicited pongs, answers a burst of 10 pings (RFC 6455 §5.5.2-5.5.3)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  for (const n of [0, 1, 125]) {
    const payload = Buffer.alloc(n, 0x41 + (n % 26));
    await c.write(frames.ping(payload));
    const pong = await c.readFrame();
    assert.equal(pong.opcode, 0xa);
    assert.ok(pong.payload.equals(payload), `pong payload for ${n}-byte ping`);
  }
  await c.write(Buffer.concat([frames.pong('unsolicited'), frames.text('after-pong')]));
  const m = await c.readMessage();
  assert.equal(m.data.toString(), 'after-pong');
  assert.equal(m.controls.length, 0, 'an unsolicited pong gets no answer');
  await c.write(Buffer.concat([...Array.from({ length: 10 }, (_, i) => frames.ping(`p${i}`)), frames.text('end')]));
  const after = await c.readMessage();
  assert.equal(after.data.toString(), 'end');
  const pongs = after.controls.filter((f) => f.opcode === 0xa).map((f) => f.payload.toString());
  assert.ok(pongs.length >= 1 && pongs.length <= 10, `pongs: ${pongs}`);
  // §5.5.3 allows answering only the most recent ping, so the last pong must carry the last ping's payload.
  assert.equal(pongs.at(-1), 'p9');
  await fx.verify();
});

test('FR-16 server ignores data and pings after the peer Close and completes the close (RFC 6455 §5.5.1, §7.1.7)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(Buffer.concat([frames.close(1000, 'bye'), frames.text('late'), frames.ping('late')]));
  const close = await expectClose(c, 1000);
  assert.equal(close.before.length, 0);
  assert.equal(c.buffered, 0, 'nothing after the close echo');
  assert.ok(!fx.server.received.some((m) => m.text === 'late'), 'late data not delivered to the application');
  await fx.verify();
});

test('FR-17 server accepts empty text, binary and continuation frames and echoes empty messages (Autobahn 1.1.1, 1.2.1)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(frames.text(''));
  await expectEcho(c, '');
  await c.write(frames.binary(Buffer.alloc(0)));
  await expectEcho(c, Buffer.alloc(0));
  await c.write(Buffer.concat([frames.text('', false), frames.cont('', false), frames.cont('', true)]));
  await expectEcho(c, '');
  await c.write(Buffer.concat([frames.text('a', false), frames.cont('', false), frames.cont('b', true)]));
  await expectEcho(c, 'ab');
  await fx.verify();
});

test('FR-18 server never masks its frames: data, pong and close (RFC 6455 §5.1 "A server MUST NOT mask")', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(Buffer.concat([frames.text('t'), frames.binary(Buffer.alloc(70_000)), frames.ping('p')]));
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const f = await c.readFrame();
    assert.equal(f.masked, false, `opcode ${f.opcode} was masked`);
    seen.push(f.opcode);
  }
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    [1, 2, 0xa],
  );
  await c.write(frames.close(1000));
  const close = await c.readFrame();
  assert.equal(close.opcode, 0x8);
  assert.equal(close.masked, false, 'close frame was masked');
  await fx.verify();
});
