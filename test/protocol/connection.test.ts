// Tests for src/protocol/connection.ts: lifecycle, sending, closing, failing, pongs, the inflate seam,
// and the general properties (chunking invariance, fuzz, memory-bounded floods).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Connection,
  InvalidStateError,
  ProtocolError,
  isValidCloseCode,
  serializeFrame,
} from '../../src/protocol/index.ts';
import type { ConnectionEvent, ConnectionOptions, Role } from '../../src/protocol/index.ts';

const KEY = new Uint8Array([1, 2, 3, 4]);
const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/ /g, ''), 'hex'));
const x = (parts: Uint8Array[]): string => Buffer.concat(parts).toString('hex');
const conn = (role: Role, options: Partial<ConnectionOptions> = {}) =>
  new Connection({ role, maskKeySource: () => KEY, ...options });

/** Encodes frames as the peer of `role` would send them (the client masks, §5.1). */
function peer(
  role: Role,
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; rsv1?: boolean } = {},
): Uint8Array {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return new Uint8Array(
    Buffer.concat(
      serializeFrame(opcode, data, { ...options, maskKey: role === 'server' ? new Uint8Array([9, 8, 7, 6]) : null }),
    ),
  );
}

const ROLES: Role[] = ['server', 'client'];

test('server sends text and binary unmasked, referencing the payload without copying (RFC 6455 §5.1)', () => {
  const c = conn('server');
  const bytes = new Uint8Array([1, 2, 3]);
  c.sendBinary(bytes);
  c.sendText('hi');
  c.sendText(new Uint8Array([0x6f, 0x6b]));
  const out = c.takeOutput();
  assert.equal(out.length, 6);
  assert.equal(out[1], bytes, 'server output is [header, payload] with the same payload');
  assert.equal(x(out), '8203010203' + '81026869' + '81026f6b');
  assert.equal(c.hasOutput, false);
  assert.deepEqual(c.takeOutput(), []);
});

test('client masks with a fresh key per frame; borrowed bytes are copied, owned ones masked in place (RFC 6455 §5.3)', () => {
  let n = 0;
  const c = new Connection({ role: 'client', maskKeySource: () => new Uint8Array([n++, 0, 0, 0]) });
  const bytes = new Uint8Array([0x10, 0x20]);
  c.sendBinary(bytes);
  c.sendBinary(bytes);
  const out = c.takeOutput();
  assert.deepEqual(bytes, new Uint8Array([0x10, 0x20]), "the caller's buffer is untouched");
  assert.equal(x(out), '8282' + '00000000' + '1020' + '8282' + '01000000' + '1120');
  c.sendText('');
  assert.equal(x(c.takeOutput()), '818002000000');
});

test('the default client mask keys come from the CSPRNG pool and differ per frame', () => {
  const c = new Connection({ role: 'client' });
  const keys = new Set<string>();
  for (let i = 0; i < 50; i++) {
    c.sendBinary(new Uint8Array(1));
    keys.add(Buffer.from(c.takeOutput()[0]!.subarray(2, 6)).toString('hex'));
  }
  assert.ok(keys.size > 45, `${keys.size} distinct keys`);
});

for (const role of ROLES) {
  test(`${role} delivers messages and answers a ping with its payload (RFC 6455 §5.5.2)`, () => {
    const c = conn(role);
    c.receive(peer(role, 1, 'hello'));
    c.receive(peer(role, 9, new Uint8Array([7, 7])));
    const events = c.takeEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['message', 'ping'],
    );
    assert.equal(new TextDecoder().decode((events[0] as { data: Uint8Array }).data), 'hello');
    const out = c.takeOutput();
    const pong = Buffer.concat(out);
    assert.equal(pong[0], 0x8a);
    const payload = role === 'client' ? pong.subarray(6).map((b, i) => b ^ KEY[i & 3]!) : pong.subarray(2);
    assert.deepEqual([...payload], [7, 7]);
    assert.equal(c.hasEvents, false);
  });

  test(`${role} answers every ping of a burst, then coalesces pongs beyond 16 pending in the untaken output (RFC 6455 §5.5.3)`, () => {
    const c = conn(role);
    c.sendText('before');
    for (let i = 1; i <= 20; i++) c.receive(peer(role, 9, new Uint8Array([i])));
    const out = c.takeOutput();
    assert.equal(out.length, 2 + 16 * 2, 'one text frame and 16 pongs');
    const payloads = out
      .slice(2)
      .filter((_, i) => i % 2 === 1)
      .map((p) => (role === 'client' ? p[0]! ^ KEY[0]! : p[0]!));
    assert.deepEqual(
      payloads,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 20],
      'the last pending pong answers the newest ping',
    );
    c.receive(peer(role, 9, new Uint8Array([21])));
    assert.equal(c.takeOutput().length, 2, 'after the output was taken a new pong is queued');
    assert.equal(c.takeEvents().filter((e) => e.type === 'ping').length, 21, 'every ping is still reported');
  });

  test(`${role} echoes the peer's close code, emits closing then a clean close (RFC 6455 §5.5.1)`, () => {
    const c = conn(role);
    c.receive(peer(role, 8, h('0fa0 627965')));
    assert.deepEqual(c.takeEvents(), [
      { type: 'closing', code: 4000, reason: 'bye' },
      { type: 'close', code: 4000, reason: 'bye', wasClean: true, error: null },
    ]);
    const out = Buffer.concat(c.takeOutput());
    assert.equal(out[0], 0x88);
    assert.equal(out[1]! & 0x7f, 2, 'the code is echoed, the reason is not');
    assert.equal(c.readyState, 3);
    assert.equal(c.canSend, false);
    assert.equal(c.closeExpected, false);
    assert.deepEqual(c.lifecycle, {
      phase: 'closed',
      sent: { code: 4000, reason: '' },
      received: { code: 4000, reason: 'bye' },
      failure: null,
    });
    assert.throws(() => c.sendText('late'), InvalidStateError);
    c.receive(peer(role, 1, 'ignored'));
    assert.deepEqual(c.takeEvents(), [], 'input after close is discarded (RFC 6455 §7.1.7)');
  });

  test(`${role} echoes an empty close frame and reports 1005 (RFC 6455 §7.1.5)`, () => {
    const c = conn(role);
    c.receive(peer(role, 8, new Uint8Array(0)));
    assert.deepEqual(
      c.takeEvents().map((e) => (e.type === 'close' ? e.code : e.type)),
      ['closing', 1005],
    );
    const out = Buffer.concat(c.takeOutput());
    assert.equal(out[1]! & 0x7f, 0, 'echo without a status code, never 1005 on the wire (RFC 6455 §7.4.1)');
  });

  test(`${role} closing handshake started locally: closing until the peer's close arrives (RFC 6455 §7.1.2)`, () => {
    const c = conn(role);
    c.close(1001, 'going');
    assert.equal(c.readyState, 2);
    assert.equal(c.closeExpected, true);
    assert.equal(c.canSend, false);
    assert.deepEqual(c.lifecycle, { phase: 'closing', sent: { code: 1001, reason: 'going' }, received: null });
    c.close(1000);
    assert.equal(Buffer.concat(c.takeOutput())[0], 0x88, 'one close frame; a second close() is a no-op');
    assert.deepEqual(c.takeOutput(), []);
    assert.throws(() => c.ping(), InvalidStateError);
    c.receive(peer(role, 1, 'still delivered'));
    c.receive(peer(role, 9, new Uint8Array(0)));
    assert.deepEqual(c.takeOutput(), [], 'pings while closing are not answered');
    c.receive(peer(role, 8, h('03e8')));
    const events = c.takeEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['message', 'close'],
      'the ping while closing is ignored',
    );
    assert.deepEqual(events[1], { type: 'close', code: 1000, reason: '', wasClean: true, error: null });
    assert.equal(c.readyState, 3);
  });

  test(`${role} fails a protocol error: close frame with the code, close event with the error (RFC 6455 §7.1.7)`, () => {
    const c = conn(role);
    c.receive(new Uint8Array([0x83, role === 'server' ? 0x80 : 0, 0, 0, 0, 0].slice(0, role === 'server' ? 6 : 2)));
    const [event] = c.takeEvents();
    assert.equal(event?.type, 'close');
    const close = event as Extract<ConnectionEvent, { type: 'close' }>;
    assert.equal(close.wasClean, false);
    assert.equal(close.code, 1002);
    assert.ok(close.error instanceof ProtocolError);
    assert.equal(close.error.code, 'WS_ERR_INVALID_OPCODE');
    assert.equal(c.lifecycle.phase === 'closed' && c.lifecycle.failure, close.error);
    assert.equal(Buffer.concat(c.takeOutput())[0], 0x88);
  });

  test(`${role} fail() from the engine queues the close frame once and reports the error`, () => {
    const c = conn(role);
    c.fail(1011, 'upstream down');
    const [event] = c.takeEvents();
    assert.deepEqual(event?.type === 'close' && [event.code, event.reason, event.wasClean, event.error?.code], [
      1011,
      'upstream down',
      false,
      'WS_ERR_LOCAL_FAILURE',
    ]);
    assert.equal(c.takeOutput().length, 2);
    c.fail(1011);
    assert.deepEqual(c.takeEvents(), [], 'no-op once closed');
    assert.throws(() => conn(role).fail(1006), RangeError, '1006 never goes on the wire (RFC 6455 §7.4.1)');
  });

  test(`${role} fail() while closing reports the failure without a second close frame`, () => {
    const c = conn(role);
    c.close(1000);
    c.takeOutput();
    const err = new ProtocolError('Cannot inflate', { code: 'WS_ERR_LOCAL_FAILURE', closeCode: 1007 });
    c.fail(err);
    assert.deepEqual(c.takeOutput(), []);
    const [event] = c.takeEvents();
    assert.equal(event?.type === 'close' && event.error, err);
  });
}

test('send methods validate their arguments', () => {
  const c = conn('server');
  assert.throws(() => c.ping(new Uint8Array(126)), RangeError);
  assert.throws(() => c.pong(new Uint8Array(126)), RangeError);
  assert.throws(() => c.close(1005), RangeError);
  assert.throws(() => c.close(1000, 'x'.repeat(124)), RangeError);
  assert.throws(() => c.sendFrame(8, new Uint8Array(0)), TypeError);
  assert.throws(() => c.sendFrame(3, new Uint8Array(0)), TypeError);
  assert.throws(
    () => c.sendFrame(9, new Uint8Array(0), { fin: false }),
    RangeError,
    'RFC 6455 §5.5 control frames are never fragmented',
  );
  assert.throws(() => c.sendFrame(1, new Uint8Array(0), { rsv1: true }), RangeError, 'RSV1 needs the extension');
  assert.throws(() => new Connection({ role: 'server', maxMessageSize: -1 }), RangeError);
  assert.throws(() => new Connection({ role: 'peer' as Role }), TypeError);
  assert.throws(() => conn('client').sendPrebuilt(serializeFrame(1, new Uint8Array(0))), TypeError);
  assert.equal(c.hasOutput, false, 'nothing was queued by failed calls');
});

test('sendFrame sends fragments, pings, pongs and RSV1 frames', () => {
  const c = conn('server', { rsv1Extension: true });
  c.sendFrame(1, new Uint8Array([0x61]), { fin: false, rsv1: true });
  c.sendFrame(0, new Uint8Array([0x62]));
  c.ping(new Uint8Array([1]));
  c.pong();
  assert.equal(x(c.takeOutput()), '410161' + '800162' + '890101' + '8a00');
});

test('sendPrebuilt shares one serialized frame across server connections', () => {
  const frame = serializeFrame(1, new TextEncoder().encode('all'));
  const a = conn('server');
  const b = conn('server');
  a.sendPrebuilt(frame);
  b.sendPrebuilt(frame);
  const [ah, ap] = a.takeOutput();
  const [bh, bp] = b.takeOutput();
  assert.equal(ah, bh);
  assert.equal(ap, bp);
});

test('a throwing maskKeySource during an automatic pong closes with 1011 and never throws out of receive()', () => {
  let calls = 0;
  const c = new Connection({
    role: 'client',
    maskKeySource: () => {
      if (calls++ > 0) throw new Error('secret detail');
      return KEY;
    },
  });
  c.sendText('x');
  c.receive(h('89 00'));
  const events = c.takeEvents();
  const close = events.at(-1) as Extract<ConnectionEvent, { type: 'close' }>;
  assert.equal(close.code, 1011);
  assert.equal(close.error?.code, 'WS_ERR_INTERNAL');
  assert.equal(close.error?.message, 'Internal error', 'details stay in the cause');
});

test('the inflate seam pauses decoding until inflateEnd() and checks inflated bytes (RFC 7692)', () => {
  const c = conn('client', { rsv1Extension: true, maxMessageSize: 8 });
  c.receive(new Uint8Array([...h('c1 02 aabb'), ...h('89 00'), ...h('81 01 7a')]));
  assert.equal(c.isInflating, true);
  assert.deepEqual(c.takeEvents(), [{ type: 'inflate', data: h('aabb'), fin: true }]);
  assert.equal(c.bufferedInputBytes, 5, 'the ping and the text wait in the decoder');
  assert.throws(() => conn('client').inflated(new Uint8Array(0)), InvalidStateError);
  assert.throws(() => conn('client').inflateEnd(), InvalidStateError);
  c.inflated(new TextEncoder().encode('hey'));
  c.inflateEnd();
  assert.equal(c.isInflating, false);
  assert.deepEqual(
    c.takeEvents().map((e) => (e.type === 'message' ? new TextDecoder().decode(e.data) : e.type)),
    ['hey', 'ping', 'z'],
  );
  c.receive(h('c2 01 00'));
  c.takeEvents();
  c.inflated(new Uint8Array(9));
  const close = c.takeEvents()[0] as Extract<ConnectionEvent, { type: 'close' }>;
  assert.equal(close.code, 1009, 'a decompression bomb closes with 1009');
  c.inflated(new Uint8Array(1));
  c.inflateEnd();
  assert.deepEqual(c.takeEvents(), [], 'ignored once closed');
});

test('a compressed text whose inflated bytes end inside a code point fails with 1007 at inflateEnd() (RFC 6455 §5.6)', () => {
  const c = conn('server', { rsv1Extension: true });
  c.receive(peer('server', 1, new Uint8Array([0]), { rsv1: true }));
  c.takeEvents();
  c.inflated(new Uint8Array([0xe2, 0x82]));
  c.inflateEnd();
  const close = c.takeEvents()[0] as Extract<ConnectionEvent, { type: 'close' }>;
  assert.equal(close.code, 1007);
  assert.equal(close.error?.code, 'WS_ERR_INVALID_UTF8');
});

test('fail() with a reason over 123 bytes sends the code alone', () => {
  const c = conn('server');
  c.fail(1011, 'é'.repeat(100));
  assert.equal(x(c.takeOutput()), '880203f3');
  assert.deepEqual(c.lifecycle.phase === 'closed' && c.lifecycle.sent, { code: 1011, reason: '' });
});

test('bufferedInputBytes counts partial frames and fragmented messages', () => {
  const c = conn('client');
  c.receive(h('02 03 0102'));
  assert.equal(c.bufferedInputBytes, 2);
  c.receive(h('03 80'));
  assert.equal(c.bufferedInputBytes, 4, '3 message bytes in the assembler, 1 header byte in the decoder');
  c.receive(h('01 61'));
  assert.equal(c.bufferedInputBytes, 0);
  assert.deepEqual(
    c.takeEvents().map((e) => e.type),
    ['message'],
  );
});

// ---- properties --------------------------------------------------------------------------------

const frameArb = fc.oneof(
  fc.tuple(
    fc.constant(1),
    fc.string({ maxLength: 40 }).map((s) => new TextEncoder().encode(s)),
  ),
  fc.tuple(fc.constant(2), fc.uint8Array({ maxLength: 300 })),
  fc.tuple(fc.constantFrom(9, 10), fc.uint8Array({ maxLength: 125 })),
);

function summarize(events: ConnectionEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'message':
        return `${e.binary ? 'b' : 't'}:${Buffer.from(e.data).toString('hex')}`;
      case 'ping':
      case 'pong':
        return `${e.type}:${Buffer.from(e.data).toString('hex')}`;
      case 'close':
        return `close:${e.code}:${e.wasClean}`;
      default:
        return e.type;
    }
  });
}

for (const role of ROLES) {
  test(`${role} gives the same events however the input is chunked (property)`, () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (frames, cuts, fragment) => {
          const parts: Uint8Array[] = [];
          for (const [op, payload] of frames) {
            if (fragment && op < 8 && payload.length > 1) {
              const mid = payload.length >> 1;
              parts.push(
                peer(role, op, payload.subarray(0, mid), { fin: false }),
                peer(role, 0, payload.subarray(mid)),
              );
            } else parts.push(peer(role, op, payload));
          }
          const stream = new Uint8Array(Buffer.concat(parts));
          const whole = conn(role);
          whole.receive(stream.slice());
          const expected = summarize(whole.takeEvents());
          assert.equal(expected.length, frames.length);
          const split = conn(role);
          const copy = stream.slice();
          const points = [...new Set(cuts.map((c) => c % (copy.length + 1)))].sort((a, b) => a - b);
          let start = 0;
          const got: ConnectionEvent[] = [];
          for (const p of [...points, copy.length]) {
            split.receive(copy.subarray(start, p));
            start = p;
            got.push(...split.takeEvents());
          }
          assert.deepEqual(summarize(got), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test(`${role} never throws on random bytes and stays open or closes with an allowed code (property)`, () => {
    const allowed = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011]);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), fc.boolean(), (chunks, deflate) => {
        const c = conn(role, { rsv1Extension: deflate, maxMessageSize: 1000 });
        for (const chunk of chunks) {
          c.receive(chunk);
          for (const e of c.takeEvents()) {
            if (e.type === 'inflate') {
              c.inflated(e.data.slice());
              c.inflateEnd();
            }
            if (e.type === 'close') {
              assert.ok(
                e.wasClean ? isValidCloseCode(e.code) || e.code === 1005 : allowed.has(e.code),
                `close ${e.code}`,
              );
            }
          }
        }
        assert.ok(c.readyState === 1 || c.readyState === 3);
        assert.ok(c.bufferedInputBytes <= 64 * 8);
      }),
      { numRuns: 2000 },
    );
  });
}

for (const role of ROLES) {
  test(`${role} never throws on mutated valid streams and closes only with an allowed code (property)`, () => {
    const allowed = new Set([1002, 1007, 1008, 1009]);
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (frames, flips, cuts) => {
          const stream = new Uint8Array(Buffer.concat(frames.map(([op, p]) => peer(role, op, p))));
          for (const [at, bits] of flips) stream[at % stream.length] = stream[at % stream.length]! ^ bits;
          const c = conn(role, { maxMessageSize: 4096, maxFragments: 4 });
          const points = [...new Set(cuts.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
          let start = 0;
          for (const p of [...points, stream.length]) {
            c.receive(stream.subarray(start, p));
            start = p;
          }
          for (const e of c.takeEvents()) {
            if (e.type === 'close') {
              if (e.wasClean) assert.ok(isValidCloseCode(e.code) || e.code === 1005);
              else assert.ok(allowed.has(e.code), `fail ${e.code}`);
            }
          }
          assert.ok(c.readyState === 1 || c.readyState === 3);
        },
      ),
      { numRuns: 1000 },
    );
  });
}

// ---- memory-bounded floods (docs/security-cases.md LM-04, FR-15) -----------------------------------------

test('10k pings with the output never taken keep the output bounded by coalescing (RFC 6455 §5.5.3, docs/security-cases.md FR-15)', () => {
  for (const role of ROLES) {
    const c = conn(role);
    const ping = peer(role, 9, new Uint8Array(125).fill(1));
    for (let i = 0; i < 10_000; i++) {
      c.receive(ping.slice());
      c.takeEvents();
    }
    const out = c.takeOutput();
    assert.equal(out.length, 32, `${role}: at most 16 pending pongs`);
  }
});

test("client role never masks the caller's Buffer: sent Buffers and received ping payloads stay intact (RFC 6455 §5.3)", () => {
  const c = conn('client');
  const data = Buffer.from('same bytes');
  c.sendBinary(data);
  c.sendBinary(data);
  c.sendFrame(0x9, data);
  assert.equal(data.toString(), 'same bytes', 'Buffer#slice is a view: the core must copy with Uint8Array slice');
  c.takeOutput();
  // A ping arriving in a socket Buffer: the event's payload and the automatic pong's must both be the ping's bytes.
  c.receive(Buffer.from('8903616263', 'hex'));
  const ping = c.takeEvents().find((e) => e.type === 'ping') as { data: Uint8Array };
  assert.equal(Buffer.from(ping.data).toString(), 'abc');
  const out = Buffer.concat(c.takeOutput());
  const unmasked = Buffer.from(out.subarray(6)).map((b, i) => b ^ KEY[i % 4]!);
  assert.equal(Buffer.from(unmasked).toString(), 'abc');
});

test('connections between messages give their receive state back and take one again: interleaved reads stay apart', () => {
  const messages = (c: Connection): string[] =>
    c
      .takeEvents()
      .filter((e) => e.type === 'message')
      .map((e) => Buffer.from((e as { data: Uint8Array }).data).toString());
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(3), fc.string({ maxLength: 40 }), fc.nat(60)), { minLength: 1, maxLength: 30 }),
      (sends) => {
        const conns = [conn('server'), conn('server'), conn('server'), conn('server')];
        const pending: Uint8Array[][] = [[], [], [], []];
        const expected: string[][] = [[], [], [], []];
        const got: string[][] = [[], [], [], []];
        for (const [who, text, cut] of sends) {
          // Each connection's bytes arrive in two reads cut anywhere, interleaved with the others' reads.
          const frame = peer('server', 1, text);
          const at = Math.min(cut, frame.length);
          expected[who]!.push(text);
          for (const part of [frame.subarray(0, at), frame.subarray(at)]) pending[who]!.push(part.slice());
          const next = pending[(who + 1) % 4]!.shift();
          if (next !== undefined) conns[(who + 1) % 4]!.receive(next);
          conns[who]!.receive(pending[who]!.shift()!);
          got[who]!.push(...messages(conns[who]!));
        }
        for (let i = 0; i < 4; i++) {
          for (const rest of pending[i]!) conns[i]!.receive(rest);
          got[i]!.push(...messages(conns[i]!));
          assert.deepEqual(got[i], expected[i]);
          assert.equal(conns[i]!.bufferedInputBytes, 0);
        }
      },
    ),
  );
});
