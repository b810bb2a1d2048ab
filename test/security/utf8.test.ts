// docs/security-cases.md §4.3 (UT-01..UT-07): invalid and edge-case UTF-8 over TCP to a real server; invalid text must fail fast with 1007.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectClose, frame, frameHeader, frames, hex, maskBytes } from '../helpers/raw.ts';
import { hostile } from '../helpers/hostile.ts';

test('UT-01 server fails overlong, surrogate, > U+10FFFF, 0xFF and lone continuation bytes in text with 1007 (RFC 6455 §8.1)', async (t) => {
  const fx = await hostile(t);
  for (const bad of ['C0 80', 'ED A0 80', 'F4 90 80 80', 'FF', '80', 'E0 80 80', 'F8 88 80 80 80', '61 62 FE 63']) {
    await t.test(bad, async () => {
      const c = await fx.open();
      await c.write(frames.text(hex(bad)));
      await expectClose(c, 1007);
    });
  }
  await fx.verify();
});

test('UT-02 server reassembles code points split across fragments and across TCP chops (RFC 6455 §5.6)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  const kappa = hex('CE BA');
  await c.write(Buffer.concat([frames.text(kappa.subarray(0, 1), false), frames.cont(kappa.subarray(1))]));
  assert.equal((await c.readMessage()).data.toString(), 'κ');
  const emoji = Buffer.from('😀', 'utf8');
  for (const split of [1, 2, 3]) {
    await c.write(Buffer.concat([frames.text(emoji.subarray(0, split), false), frames.cont(emoji.subarray(split))]));
    assert.equal((await c.readMessage()).data.toString(), '😀', `split ${split}|${4 - split}`);
  }
  // One frame, written one byte per TCP write so every code point is cut inside the payload.
  const text = 'κόσμε 😀 ∑ abc';
  await c.writeChopped(frames.text(text), 1);
  assert.equal((await c.readMessage()).data.toString(), text);
  await fx.verify();
});

test('UT-03 server fails fast with 1007 on an invalid first payload bytes while the rest of the frame is held back (strict, Autobahn 6.4.3)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  const key = hex('01 02 03 04');
  const payload = Buffer.concat([hex('C0 80'), Buffer.alloc(98, 0x61)]);
  // Header announcing 100 bytes, then only the first 4 payload bytes: the invalid sequence is already complete.
  await c.write(Buffer.concat([frameHeader({ opcode: 1 }, 100, key), maskBytes(payload, key).subarray(0, 4)]));
  const close = await c.readClose(3_000);
  assert.equal(close.code, 1007, 'close 1007 must arrive before the rest of the frame is sent');
  assert.ok(await c.waitEnd(), 'TCP closed after 1007');
  await fx.verify();
});

test('UT-03 server fails fast with 1007 right after an invalid fragment, without waiting for FIN (Autobahn 6.4.1)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(frames.text('κόσμε', false));
  await c.write(frames.cont(hex('F4 90 80 80'), false));
  // Fragment 3 is never sent.
  await expectClose(c, 1007, 3_000);
  await fx.verify();
});

test('UT-04 server fails a message whose final fragment ends in a truncated code point with 1007 at FIN (RFC 6455 §5.6)', async (t) => {
  const fx = await hostile(t);
  {
    const c = await fx.open();
    await c.write(
      Buffer.concat([frames.text('abc', false), frames.cont(Buffer.concat([Buffer.from('x'), hex('E2 82')]))]),
    );
    await expectClose(c, 1007);
  }
  {
    const c = await fx.open();
    await c.write(frames.text(hex('61 E2 82')));
    await expectClose(c, 1007);
  }
  {
    // Not an error while the message is unfinished: the truncated sequence may complete in the next fragment.
    const c = await fx.open();
    await c.write(frames.text(hex('61 E2 82'), false));
    await c.write(frames.cont(hex('AC')));
    assert.equal((await c.readMessage()).data.toString(), 'a€');
  }
  await fx.verify();
});

test('UT-05 server delivers binary messages with invalid UTF-8 unchanged (RFC 6455 §5.6)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  const bytes = hex('C0 80 ED A0 80 FF 80 F4 90 80 80');
  await c.write(frames.binary(bytes));
  const m = await c.readMessage();
  assert.equal(m.opcode, 2);
  assert.ok(m.data.equals(bytes));
  await fx.verify();
});

test('UT-06 server accepts U+0000, U+FFFE, U+FFFF and U+10FFFF in text', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  const text = '\u0000\uFFFE\uFFFF\u{10FFFF}';
  await c.write(frames.text(text));
  const m = await c.readMessage();
  assert.equal(m.opcode, 1);
  assert.ok(m.data.equals(Buffer.from(text, 'utf8')));
  await fx.verify();
});

test('UT-07 server fails a close reason with invalid UTF-8 with 1007 or 1002 (Autobahn 7.5.1)', async (t) => {
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(frame({ opcode: 8, payload: hex('03 E8 C0 80') }));
  await expectClose(c, [1007, 1002]);
  await fx.verify();
});
