// Conformance vectors: one row per RFC 6455 rule or Autobahn case (sections 1-7), run for both roles.
//
// `hex` is the byte stream the peer sends, a space between fields ('81 05 48656c6c6f'). Rows with
// role 'both' are written unmasked; the runner masks every frame with a fixed key for the server
// role (a client must mask, §5.1). Rows with one role are fed verbatim. Truncated streams stand for
// "the rest never arrives": the expected close must come without it (fail fast, Autobahn 6.4).
//
// Rows with `echo` play an echo server: each message is sent back while its event is handled, and
// the expected output lists those echoes before the close frame.
//
// Events are rendered as strings: 'text:<utf8>', 'binary:<hex>', 'ping:<hex>', 'pong:<hex>',
// 'closing:<code>', 'close:<code>' (clean), 'inflate:<hex>:<fin>'. `expect.close` means the core
// failed the connection with that code (after the listed events, if any).

import type { ConnectionOptions } from '../../src/protocol/index.ts';

export interface Vector {
  readonly rfc: string;
  readonly autobahn?: string;
  readonly role: 'server' | 'client' | 'both';
  readonly name: string;
  readonly hex: string;
  readonly options?: Partial<Omit<ConnectionOptions, 'role'>>;
  /** The owner echoes every message while handling it (as an echo server): the echoes go out before any close frame. */
  readonly echo?: boolean;
  readonly expect:
    | { readonly events: readonly string[] }
    | { readonly close: number; readonly events?: readonly string[] };
}

/** UTF-8 bytes of `s` as hex. */
export const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

function byteHex(n: number, bytes: number): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

/** One unmasked frame: 'b0 len [ext] payload' with the minimal length encoding. */
export function frame(b0: number, payloadHex = ''): string {
  const n = payloadHex.replace(/ /g, '').length / 2;
  const len = n < 126 ? byteHex(n, 1) : n < 65536 ? `7e ${byteHex(n, 2)}` : `7f ${byteHex(n, 8)}`;
  return payloadHex === '' ? `${byteHex(b0, 1)} ${len}` : `${byteHex(b0, 1)} ${len} ${payloadHex}`;
}

const text = (s: string, fin = true): string => frame((fin ? 0x80 : 0) | 0x1, utf8(s));
const cont = (s: string, fin = true): string => frame((fin ? 0x80 : 0) | 0x0, utf8(s));
const ping = (hex = ''): string => frame(0x89, hex);
const pong = (hex = ''): string => frame(0x8a, hex);
const close = (code?: number, reason = ''): string =>
  frame(0x88, code === undefined ? '' : byteHex(code, 2) + utf8(reason));
const CLOSE_1000 = close(1000);
const CLEAN = ['closing:1000', 'close:1000'];
const bytesHex = (n: number, fill = 0xfe): string => byteHex(fill, 1).repeat(n);
const KOSME = 'cebae1bdb9cf83cebcceb5'; // "κόσμε", the Autobahn 6.x sample
const HELLO_UTF8 = utf8('Hello-µ@ßöäüàá-UTF-8!!');

const rows: Vector[] = [];
const add = (v: Vector): void => {
  rows.push(v);
};

// ---- Section 1: framing of text and binary messages (§5.2, §5.6) -------------------------------
for (const [ab, n] of [
  ['1.1.1', 0],
  ['1.1.2', 125],
  ['1.1.3', 126],
  ['1.1.4', 127],
  ['1.1.5', 128],
  ['1.1.6', 65535],
  ['1.1.7', 65536],
] as const) {
  add({
    rfc: '§5.2',
    autobahn: ab,
    role: 'both',
    name: `delivers a ${n}-byte text message`,
    hex: frame(0x81, utf8('*'.repeat(n))),
    expect: { events: [`text:${'*'.repeat(n)}`] },
  });
}
for (const [ab, n] of [
  ['1.2.1', 0],
  ['1.2.2', 125],
  ['1.2.3', 126],
  ['1.2.4', 127],
  ['1.2.5', 128],
  ['1.2.6', 65535],
  ['1.2.7', 65536],
] as const) {
  add({
    rfc: '§5.2',
    autobahn: ab,
    role: 'both',
    name: `delivers a ${n}-byte binary message`,
    hex: frame(0x82, bytesHex(n)),
    expect: { events: [`binary:${bytesHex(n)}`] },
  });
}
add({
  rfc: '§5.7',
  role: 'both',
  name: 'delivers the RFC single-frame unmasked "Hello" example',
  hex: '81 05 48656c6c6f',
  expect: { events: ['text:Hello'] },
});
add({
  rfc: '§5.7',
  role: 'server',
  name: 'delivers the RFC single-frame masked "Hello" example',
  hex: '81 85 37fa213d 7f9f4d5158',
  expect: { events: ['text:Hello'] },
});
add({
  rfc: '§5.7',
  role: 'both',
  name: 'delivers the RFC fragmented unmasked "Hello" example',
  hex: '01 03 48656c 80 02 6c6f',
  expect: { events: ['text:Hello'] },
});
add({
  rfc: '§5.7',
  role: 'both',
  name: 'delivers the RFC 256-byte binary example with a 16-bit length',
  hex: `82 7e 0100 ${bytesHex(256, 0x61)}`,
  expect: { events: [`binary:${bytesHex(256, 0x61)}`] },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'accepts a non-minimal 16-bit length for a 5-byte payload (documented leniency, like ws)',
  hex: '81 7e 0005 48656c6c6f',
  expect: { events: ['text:Hello'] },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'accepts a non-minimal 64-bit length for a 5-byte payload (documented leniency, like ws)',
  hex: '81 7f 0000000000000005 48656c6c6f',
  expect: { events: ['text:Hello'] },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'fails a 64-bit length with the most significant bit set with 1002',
  hex: '82 7f 8000000000000005 0102030405',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'fails an all-ones 64-bit length with 1002',
  hex: '82 7f ffffffffffffffff',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'fails a 2^40-byte frame with 1009 as soon as the header is read',
  hex: '82 7f 0000010000000000 00',
  expect: { close: 1009 },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'fails a 2^53-byte frame with 1009 at the header',
  hex: '82 7f 0020000000000000',
  expect: { close: 1009 },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'delivers two messages from one write in order',
  hex: `${text('a')} ${frame(0x82, '0102')}`,
  expect: { events: ['text:a', 'binary:0102'] },
});

// ---- Masking (§5.1, §5.3) ---------------------------------------------------------------------
add({
  rfc: '§5.1',
  role: 'server',
  name: 'fails an unmasked client text frame with 1002',
  hex: '81 02 6869',
  expect: { close: 1002 },
});
add({
  rfc: '§5.1',
  role: 'server',
  name: 'fails an unmasked client ping with 1002',
  hex: '89 00',
  expect: { close: 1002 },
});
add({
  rfc: '§5.1',
  role: 'server',
  name: 'fails an unmasked close frame with 1002',
  hex: '88 02 03e8',
  expect: { close: 1002 },
});
add({
  rfc: '§5.1',
  role: 'client',
  name: 'fails a masked server text frame with 1002',
  hex: '81 82 00000000 6869',
  expect: { close: 1002 },
});
add({
  rfc: '§5.1',
  role: 'client',
  name: 'fails a masked server ping with 1002',
  hex: '89 80 01020304',
  expect: { close: 1002 },
});
add({
  rfc: '§5.3',
  role: 'server',
  name: 'unmasks with an all-zero masking key',
  hex: '81 82 00000000 6869',
  expect: { events: ['text:hi'] },
});

// ---- Section 2: pings and pongs (§5.5.2, §5.5.3) ---------------------------------------------
add({
  rfc: '§5.5.2',
  autobahn: '2.1',
  role: 'both',
  name: 'answers a ping without payload',
  hex: ping(),
  expect: { events: ['ping:'] },
});
add({
  rfc: '§5.5.2',
  autobahn: '2.2',
  role: 'both',
  name: 'answers a ping with a small text payload',
  hex: ping(utf8('Hello, world!')),
  expect: { events: [`ping:${utf8('Hello, world!')}`] },
});
add({
  rfc: '§5.5.2',
  autobahn: '2.3',
  role: 'both',
  name: 'answers a ping with a small binary payload',
  hex: ping('00ff fe fd fc fb 00 ff'.replace(/ /g, '')),
  expect: { events: ['ping:00fffefdfcfb00ff'] },
});
add({
  rfc: '§5.5',
  autobahn: '2.4',
  role: 'both',
  name: 'answers a ping with a 125-byte payload',
  hex: ping(bytesHex(125)),
  expect: { events: [`ping:${bytesHex(125)}`] },
});
add({
  rfc: '§5.5',
  autobahn: '2.5',
  role: 'both',
  name: 'fails a ping with a 126-byte payload with 1002',
  hex: `89 7e 007e ${bytesHex(126)}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.5.3',
  autobahn: '2.7',
  role: 'both',
  name: 'accepts an unsolicited pong without payload',
  hex: pong(),
  expect: { events: ['pong:'] },
});
add({
  rfc: '§5.5.3',
  autobahn: '2.8',
  role: 'both',
  name: 'accepts an unsolicited pong with payload',
  hex: pong(utf8('unsolicited')),
  expect: { events: [`pong:${utf8('unsolicited')}`] },
});
add({
  rfc: '§5.5.3',
  autobahn: '2.9',
  role: 'both',
  name: 'accepts a pong then answers a ping',
  hex: `${pong(utf8('x'))} ${ping(utf8('y'))}`,
  expect: { events: ['pong:78', 'ping:79'] },
});
add({
  rfc: '§5.5.2',
  autobahn: '2.10',
  role: 'both',
  name: 'answers each of 10 pings sent in one write',
  hex: Array.from({ length: 10 }, (_, i) => ping(byteHex(i, 1))).join(' '),
  expect: { events: Array.from({ length: 10 }, (_, i) => `ping:${byteHex(i, 1)}`) },
});
add({
  rfc: '§5.5.3',
  role: 'both',
  name: 'answers the first 15 of 20 pings in one write and the latest with the 16th pong',
  hex: Array.from({ length: 20 }, (_, i) => ping(byteHex(i, 1))).join(' '),
  expect: { events: Array.from({ length: 20 }, (_, i) => `ping:${byteHex(i, 1)}`) },
});
add({
  rfc: '§5.5',
  role: 'both',
  name: 'fails a pong with a 126-byte payload with 1002',
  hex: `8a 7e 007e ${bytesHex(126)}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.5',
  role: 'both',
  name: 'fails a close frame with a 127-length code (64-bit) with 1002',
  hex: '88 7f 0000000000000002 03e8',
  expect: { close: 1002 },
});

// ---- Section 3: reserved bits (§5.2) ----------------------------------------------------------
add({
  rfc: '§5.2',
  autobahn: '3.1',
  role: 'both',
  name: 'fails a text frame with RSV3 set with 1002',
  hex: '91 05 48656c6c6f',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  autobahn: '3.2',
  role: 'both',
  name: 'delivers a valid text, then fails a text frame with RSV2 set with 1002',
  hex: `${text('Hello')} a1 05 48656c6c6f ${ping()}`,
  expect: { close: 1002, events: ['text:Hello'] },
});
add({
  rfc: '§5.2',
  autobahn: '3.3',
  role: 'both',
  name: 'fails a text frame with RSV2+RSV3 set with 1002',
  hex: 'b1 05 48656c6c6f',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  autobahn: '3.4',
  role: 'both',
  name: 'fails a text frame with RSV1 set without an extension with 1002',
  hex: 'c1 05 48656c6c6f',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  autobahn: '3.5',
  role: 'both',
  name: 'fails a binary frame with RSV1+RSV3 set with 1002',
  hex: 'd2 02 0102',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  autobahn: '3.6',
  role: 'both',
  name: 'fails a ping with RSV1+RSV2 set with 1002',
  hex: 'e9 00',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  autobahn: '3.7',
  role: 'both',
  name: 'fails a close frame with all RSV bits set with 1002',
  hex: 'f8 02 03e8',
  expect: { close: 1002 },
});
add({
  rfc: '§5.2',
  role: 'both',
  name: 'hands an RSV1 text frame to the inflater when permessage-deflate was negotiated',
  options: { rsv1Extension: true },
  hex: 'c1 03 686921',
  expect: { events: ['inflate:686921:true', 'text:hi!'] },
});
add({
  rfc: 'RFC 7692 §6.1',
  role: 'both',
  name: 'fails an RSV1 ping even with permessage-deflate with 1002',
  options: { rsv1Extension: true },
  hex: 'c9 00',
  expect: { close: 1002 },
});
add({
  rfc: 'RFC 7692 §6.1',
  role: 'both',
  name: 'fails RSV1 on a continuation frame even with permessage-deflate with 1002',
  options: { rsv1Extension: true },
  hex: `01 01 61 c0 01 62`,
  expect: { close: 1002 },
});

// ---- Section 4: opcodes (§5.2) ----------------------------------------------------------------
for (const op of [3, 4, 5, 6, 7]) {
  add({
    rfc: '§5.2',
    autobahn: `4.1.${op - 2}`,
    role: 'both',
    name: `fails reserved data opcode ${op} with 1002`,
    hex: `${byteHex(0x80 | op, 1)} 00`,
    expect: { close: 1002 },
  });
}
add({
  rfc: '§5.2',
  autobahn: '4.1.4',
  role: 'both',
  name: 'delivers a valid text, then fails reserved data opcode 6 with payload with 1002',
  hex: `${text('Hello')} 86 05 48656c6c6f ${ping()}`,
  expect: { close: 1002, events: ['text:Hello'] },
});
for (const op of [0xb, 0xc, 0xd, 0xe, 0xf]) {
  add({
    rfc: '§5.2',
    autobahn: `4.2.${op - 10}`,
    role: 'both',
    name: `fails reserved control opcode ${op} with 1002`,
    hex: `${byteHex(0x80 | op, 1)} 00`,
    expect: { close: 1002 },
  });
}
add({
  rfc: '§5.2',
  autobahn: '4.2.4',
  role: 'both',
  name: 'delivers a valid text, then fails reserved control opcode 14 with payload with 1002',
  hex: `${text('Hello')} 8e 05 48656c6c6f ${ping()}`,
  expect: { close: 1002, events: ['text:Hello'] },
});

// ---- Section 5: fragmentation (§5.4, §5.5) ----------------------------------------------------
add({
  rfc: '§5.5',
  autobahn: '5.1',
  role: 'both',
  name: 'fails a fragmented ping with 1002',
  hex: `09 09 ${utf8('fragment1')} 80 09 ${utf8('fragment2')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.5',
  autobahn: '5.2',
  role: 'both',
  name: 'fails a fragmented pong with 1002',
  hex: `0a 09 ${utf8('fragment1')} 80 09 ${utf8('fragment2')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.5',
  role: 'both',
  name: 'fails a fragmented close frame with 1002',
  hex: '08 02 03e8',
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.3',
  role: 'both',
  name: 'delivers a text message in two fragments',
  hex: `${text('fragment1', false)} ${cont('fragment2')}`,
  expect: { events: ['text:fragment1fragment2'] },
});
add({
  rfc: '§5.4',
  autobahn: '5.6',
  role: 'both',
  name: 'answers a ping between two text fragments and delivers the message',
  hex: `${text('fragment1', false)} ${ping(utf8('ping'))} ${cont('fragment2')}`,
  expect: { events: [`ping:${utf8('ping')}`, 'text:fragment1fragment2'] },
});
add({
  rfc: '§5.4',
  role: 'both',
  name: 'delivers a pong between two binary fragments',
  hex: `02 01 01 ${pong('aa')} 80 01 02`,
  expect: { events: ['pong:aa', 'binary:0102'] },
});
add({
  rfc: '§5.4',
  autobahn: '5.9',
  role: 'both',
  name: 'fails a final continuation frame with no message in progress with 1002',
  hex: `${cont('fragment1')} ${text('fragment2')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.12',
  role: 'both',
  name: 'fails a non-final continuation frame with no message in progress with 1002',
  hex: `${cont('fragment1', false)} ${text('fragment2')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.15',
  role: 'both',
  name: 'delivers a fragmented text, then fails a stray continuation with 1002',
  hex: `${text('fragment1', false)} ${cont('fragment2')} ${cont('fragment3', false)} ${cont('fragment4')}`,
  expect: { close: 1002, events: ['text:fragment1fragment2'] },
});
add({
  rfc: '§5.4',
  autobahn: '5.16',
  role: 'both',
  name: 'fails a leading continuation before a valid fragmented text with 1002',
  hex: `${cont('fragment1', false)} ${text('fragment2', false)} ${cont('fragment3')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.17',
  role: 'both',
  name: 'fails a leading final continuation before a valid fragmented text with 1002',
  hex: `${cont('fragment1')} ${text('fragment2', false)} ${cont('fragment3')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.18',
  role: 'both',
  name: 'fails a new text frame inside a fragmented text with 1002',
  hex: `${text('fragment1', false)} ${text('fragment2')}`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  role: 'both',
  name: 'fails a new binary frame inside a fragmented text with 1002',
  hex: `${text('fragment1', false)} 82 01 00`,
  expect: { close: 1002 },
});
add({
  rfc: '§5.4',
  autobahn: '5.19',
  role: 'both',
  name: 'delivers a 5-fragment text with pings between fragments',
  hex: `${text('fragment1', false)} ${cont('fragment2', false)} ${ping(utf8('pongme 1!'))} ${cont('fragment3', false)} ${cont('fragment4', false)} ${ping(utf8('pongme 2!'))} ${cont('fragment5')}`,
  expect: {
    events: [
      `ping:${utf8('pongme 1!')}`,
      `ping:${utf8('pongme 2!')}`,
      'text:fragment1fragment2fragment3fragment4fragment5',
    ],
  },
});
add({
  rfc: '§5.4',
  role: 'both',
  name: 'delivers a text message made of empty fragments',
  hex: `01 00 00 00 80 00`,
  expect: { events: ['text:'] },
});
add({
  rfc: '§5.4',
  role: 'both',
  name: 'delivers empty fragments around data',
  hex: `01 00 00 02 6869 00 00 80 00`,
  expect: { events: ['text:hi'] },
});
add({
  rfc: '§5.4',
  role: 'both',
  name: 'delivers a binary message in three fragments',
  hex: `02 01 01 00 01 02 80 01 03`,
  expect: { events: ['binary:010203'] },
});

// ---- Limits (§10.4) ----------------------------------------------------------------------------
add({
  rfc: '§10.4',
  role: 'both',
  name: 'accepts a message exactly at maxMessageSize',
  options: { maxMessageSize: 4 },
  hex: frame(0x82, '01020304'),
  expect: { events: ['binary:01020304'] },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'fails a frame one byte over maxMessageSize with 1009 at the header',
  options: { maxMessageSize: 4 },
  hex: '82 05 01',
  expect: { close: 1009 },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'fails a frame over maxFrameSize with 1009 at the header',
  options: { maxFrameSize: 2 },
  hex: '82 03',
  expect: { close: 1009 },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'fails fragments whose total crosses maxMessageSize with 1009 at the crossing fragment',
  options: { maxMessageSize: 4 },
  hex: '02 02 0102 00 02 0304 80 01',
  expect: { close: 1009 },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'fails a message with more frames than maxFragments with 1008',
  options: { maxFragments: 3 },
  hex: '01 00 00 00 00 00 00 00',
  expect: { close: 1008 },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'accepts a message with exactly maxFragments frames',
  options: { maxFragments: 3 },
  hex: '01 00 00 00 80 00',
  expect: { events: ['text:'] },
});
add({
  rfc: '§10.4',
  role: 'both',
  name: 'allows control frames between fragments without counting them as fragments',
  options: { maxFragments: 2 },
  hex: `01 01 61 ${ping()} ${ping()} 80 01 62`,
  expect: { events: ['ping:', 'ping:', 'text:ab'] },
});

// ---- Failing at the bad frame (§5.2, §5.4, §5.5, §7.1.7) --------------------------------------
// A strict endpoint (ws too) processes frames in order and fails only at the one that breaks a
// rule: the message before it, in the same read, is delivered and its echo leaves before the Close.
const BEFORE = text('valid');
const THEN: ReadonlyArray<
  readonly [rfc: string, kind: string, hex: string, code: number, options?: Vector['options']]
> = [
  ['§5.2', 'a text frame with RSV1 set without an extension', 'c1 01 78', 1002],
  ['§5.2', 'a text frame with RSV2 set', 'a1 01 78', 1002],
  ['§5.2', 'a binary frame with RSV3 set', '92 01 78', 1002],
  ['§5.2', 'a ping with RSV1 set', 'c9 00', 1002],
  ['§5.2', 'reserved data opcode 3', '83 01 78', 1002],
  ['§5.2', 'reserved control opcode 11', '8b 00', 1002],
  ['§5.4', 'a final continuation frame with nothing to continue', '80 01 78', 1002],
  ['§5.4', 'a non-final continuation frame with nothing to continue', '00 01 78', 1002],
  ['§5.4', 'a new text frame inside a fragmented message', '01 01 61 81 01 62', 1002],
  ['§5.5', 'a fragmented ping', '09 00', 1002],
  ['§5.5', 'a fragmented close frame', '08 02 03e8', 1002],
  ['§5.5', 'a ping with a 126-byte payload', `89 7e 007e ${bytesHex(126)}`, 1002],
  ['§7.4.1', 'a close frame with code 1005', close(1005), 1002],
  ['§5.5.1', 'a close frame with a 1-byte payload', '88 01 03', 1002],
  ['§8.1', 'a text with invalid UTF-8', frame(0x81, 'c0af'), 1007],
  ['§10.4', 'a frame over maxMessageSize', frame(0x82, bytesHex(9)), 1009, { maxMessageSize: 8 }],
  ['§10.4', 'a message over maxFragments', '01 00 00 00 00 00', 1008, { maxFragments: 2 }],
];
for (const [rfc, kind, bad, code, options] of THEN) {
  const row = {
    rfc,
    role: 'both',
    echo: true,
    name: `delivers and echoes a valid message, then fails ${kind} in the same read with ${code}`,
    hex: `${BEFORE} ${bad}`,
    expect: { close: code, events: ['text:valid'] },
  } as const;
  add(options === undefined ? row : { ...row, options });
}
add({
  rfc: '§5.2',
  role: 'both',
  echo: true,
  name: 'answers a ping, delivers and echoes a binary message, then fails reserved opcode 4 in the same read with 1002',
  hex: `${ping('aa')} ${frame(0x82, '0102')} 84 00`,
  expect: { close: 1002, events: ['ping:aa', 'binary:0102'] },
});
add({
  rfc: '§5.1',
  role: 'server',
  echo: true,
  name: 'delivers and echoes a masked message, then fails an unmasked frame in the same read with 1002',
  hex: '81 82 00000000 6869 81 02 6869',
  expect: { close: 1002, events: ['text:hi'] },
});
add({
  rfc: '§5.1',
  role: 'client',
  echo: true,
  name: 'delivers and echoes an unmasked message, then fails a masked frame in the same read with 1002',
  hex: '81 02 6869 81 82 00000000 6869',
  expect: { close: 1002, events: ['text:hi'] },
});

// ---- Section 6: UTF-8 (§5.6, §8.1) ------------------------------------------------------------
add({
  rfc: '§5.6',
  autobahn: '6.1.1',
  role: 'both',
  name: 'delivers an empty text frame',
  hex: '81 00',
  expect: { events: ['text:'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.1.2',
  role: 'both',
  name: 'delivers a text of three empty fragments',
  hex: '01 00 00 00 80 00',
  expect: { events: ['text:'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.1.3',
  role: 'both',
  name: 'delivers a text of empty, non-empty and empty fragments',
  hex: `01 00 ${cont('middle frame payload', false)} 80 00`,
  expect: { events: ['text:middle frame payload'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.2.1',
  role: 'both',
  name: 'delivers valid UTF-8 in one frame',
  hex: text('Hello-µ@ßöäüàá-UTF-8!!'),
  expect: { events: ['text:Hello-µ@ßöäüàá-UTF-8!!'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.2.2',
  role: 'both',
  name: 'delivers valid UTF-8 split into two fragments inside a code point',
  hex: `${frame(0x01, HELLO_UTF8.slice(0, 14))} ${frame(0x80, HELLO_UTF8.slice(14))}`,
  expect: { events: ['text:Hello-µ@ßöäüàá-UTF-8!!'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.2.3',
  role: 'both',
  name: 'delivers valid UTF-8 in one-byte fragments',
  hex: (() => {
    const b = utf8('κόσμε');
    const parts: string[] = [];
    for (let i = 0; i < b.length; i += 2)
      parts.push(frame(i + 2 === b.length ? 0x80 : i === 0 ? 0x01 : 0x00, b.slice(i, i + 2)));
    return parts.join(' ');
  })(),
  expect: { events: ['text:κόσμε'] },
});
add({
  rfc: '§5.6',
  autobahn: '6.2.4',
  role: 'both',
  name: 'delivers a 4-byte code point split 1|3 across fragments',
  hex: '01 01 f0 80 03 9f9880',
  expect: { events: ['text:😀'] },
});
add({
  rfc: '§5.6',
  role: 'both',
  name: 'delivers a 4-byte code point split 2|2 across fragments',
  hex: '01 02 f09f 80 02 9880',
  expect: { events: ['text:😀'] },
});
add({
  rfc: '§5.6',
  role: 'both',
  name: 'delivers a 4-byte code point split 3|1 across fragments',
  hex: '01 03 f09f98 80 01 80',
  expect: { events: ['text:😀'] },
});
add({
  rfc: '§8.1',
  autobahn: '6.3.1',
  role: 'both',
  name: 'fails a text with an encoded surrogate with 1007',
  hex: frame(0x81, `${KOSME}eda080${utf8('edited')}`),
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  autobahn: '6.3.2',
  role: 'both',
  name: 'fails a text with an encoded surrogate in one-byte fragments with 1007',
  hex: (() => {
    const b = `${KOSME}eda080${utf8('edited')}`;
    const parts: string[] = [];
    for (let i = 0; i < b.length; i += 2)
      parts.push(frame(i + 2 === b.length ? 0x80 : i === 0 ? 0x01 : 0x00, b.slice(i, i + 2)));
    return parts.join(' ');
  })(),
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  autobahn: '6.4.1',
  role: 'both',
  name: 'fails at the invalid second fragment without waiting for the third with 1007',
  hex: `01 0b ${KOSME} 00 04 f4908080`,
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  autobahn: '6.4.2',
  role: 'both',
  name: 'fails at the first invalid byte of the second fragment with 1007',
  hex: `01 0c ${KOSME}f4 00 01 90`,
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  autobahn: '6.4.3',
  role: 'both',
  name: 'fails mid-frame when the invalid chop arrives before the rest of the frame with 1007',
  hex: `81 15 ${KOSME} f4908080`,
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  autobahn: '6.4.4',
  role: 'both',
  name: 'fails mid-frame at the first invalid byte of a partial frame with 1007',
  hex: `81 15 ${KOSME} f490`,
  expect: { close: 1007 },
});
add({
  rfc: '§8.1',
  role: 'both',
  name: 'fails an invalid first byte of a text frame before the rest of the frame arrives with 1007',
  hex: '81 7e 1000 ff',
  expect: { close: 1007 },
});
add({
  rfc: '§5.6',
  role: 'both',
  name: 'fails a final fragment that ends inside a code point with 1007',
  hex: '01 01 61 80 02 e282',
  expect: { close: 1007 },
});
add({
  rfc: '§5.6',
  role: 'both',
  name: 'delivers invalid UTF-8 in a binary message unchanged',
  hex: frame(0x82, 'c080eda080ff'),
  expect: { events: ['binary:c080eda080ff'] },
});

interface Utf8Case {
  readonly ab: string;
  readonly name: string;
  readonly hex: string;
  readonly valid: boolean;
}
const utf8Cases: Utf8Case[] = [
  { ab: '6.5.1', name: 'the Greek word κόσμε', hex: KOSME, valid: true },
  { ab: '6.5.2', name: 'U+0000', hex: '00', valid: true },
  { ab: '6.6.1', name: 'a lone first byte of κ', hex: 'ce', valid: false },
  { ab: '6.6.2', name: 'κ', hex: 'ceba', valid: true },
  { ab: '6.6.3', name: 'κ and a truncated 3-byte sequence', hex: 'cebae1', valid: false },
  { ab: '6.6.4', name: 'κ and a 3-byte sequence missing its last byte', hex: 'cebae1bd', valid: false },
  { ab: '6.7.1', name: 'the first 1-byte sequence U+0000', hex: '00', valid: true },
  { ab: '6.7.2', name: 'the first 2-byte sequence U+0080', hex: 'c280', valid: true },
  { ab: '6.7.3', name: 'the first 3-byte sequence U+0800', hex: 'e0a080', valid: true },
  { ab: '6.7.4', name: 'the first 4-byte sequence U+10000', hex: 'f0908080', valid: true },
  { ab: '6.8.1', name: 'a 5-byte sequence', hex: 'f888808080', valid: false },
  { ab: '6.8.2', name: 'a 6-byte sequence', hex: 'fc8480808080', valid: false },
  { ab: '6.9.1', name: 'the last 1-byte sequence U+007F', hex: '7f', valid: true },
  { ab: '6.9.2', name: 'the last 2-byte sequence U+07FF', hex: 'dfbf', valid: true },
  { ab: '6.9.3', name: 'the last 3-byte sequence U+FFFF', hex: 'efbfbf', valid: true },
  { ab: '6.9.4', name: 'the last code point U+10FFFF', hex: 'f48fbfbf', valid: true },
  { ab: '6.10.1', name: 'the last 4-byte pattern F7 BF BF BF', hex: 'f7bfbfbf', valid: false },
  { ab: '6.10.2', name: 'the last 5-byte pattern', hex: 'fbbfbfbfbf', valid: false },
  { ab: '6.10.3', name: 'the last 6-byte pattern', hex: 'fdbfbfbfbfbf', valid: false },
  { ab: '6.11.1', name: 'U+D7FF', hex: 'ed9fbf', valid: true },
  { ab: '6.11.2', name: 'U+E000', hex: 'ee8080', valid: true },
  { ab: '6.11.3', name: 'U+FFFD', hex: 'efbfbd', valid: true },
  { ab: '6.11.4', name: 'U+10FFFF', hex: 'f48fbfbf', valid: true },
  { ab: '6.11.5', name: 'U+110000', hex: 'f4908080', valid: false },
  { ab: '6.12.1', name: 'a lone continuation byte 80', hex: '80', valid: false },
  { ab: '6.12.2', name: 'a lone continuation byte BF', hex: 'bf', valid: false },
  { ab: '6.12.3', name: 'two continuation bytes', hex: '80bf', valid: false },
  { ab: '6.12.4', name: 'three continuation bytes', hex: '80bf80', valid: false },
  {
    ab: '6.12.8',
    name: 'all 64 continuation bytes',
    hex: Array.from({ length: 64 }, (_, i) => byteHex(0x80 + i, 1)).join(''),
    valid: false,
  },
  {
    ab: '6.13.1',
    name: 'lonely 2-byte start bytes each followed by a space',
    hex: Array.from({ length: 32 }, (_, i) => `${byteHex(0xc0 + i, 1)}20`).join(''),
    valid: false,
  },
  {
    ab: '6.13.2',
    name: 'lonely 3-byte start bytes each followed by a space',
    hex: Array.from({ length: 16 }, (_, i) => `${byteHex(0xe0 + i, 1)}20`).join(''),
    valid: false,
  },
  {
    ab: '6.13.3',
    name: 'lonely 4-byte start bytes each followed by a space',
    hex: Array.from({ length: 8 }, (_, i) => `${byteHex(0xf0 + i, 1)}20`).join(''),
    valid: false,
  },
  { ab: '6.13.4', name: 'lonely 5-byte start bytes each followed by a space', hex: 'f820f920fa20fb20', valid: false },
  { ab: '6.13.5', name: 'lonely 6-byte start bytes each followed by a space', hex: 'fc20fd20', valid: false },
  { ab: '6.14.1', name: 'a 2-byte sequence missing its last byte (C0)', hex: 'c0', valid: false },
  { ab: '6.14.2', name: 'a 3-byte sequence missing its last byte', hex: 'e080', valid: false },
  { ab: '6.14.3', name: 'a 4-byte sequence missing its last byte', hex: 'f08080', valid: false },
  { ab: '6.14.6', name: 'DF missing its continuation', hex: 'df', valid: false },
  { ab: '6.14.7', name: 'EF BF missing its last byte', hex: 'efbf', valid: false },
  { ab: '6.14.8', name: 'F7 BF BF missing its last byte', hex: 'f7bfbf', valid: false },
  {
    ab: '6.15.1',
    name: 'a concatenation of incomplete sequences',
    hex: 'c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf',
    valid: false,
  },
  { ab: '6.16.1', name: 'the impossible byte FE', hex: 'fe', valid: false },
  { ab: '6.16.2', name: 'the impossible byte FF', hex: 'ff', valid: false },
  { ab: '6.16.3', name: 'FE FE FF FF', hex: 'fefeffff', valid: false },
  { ab: '6.17.1', name: 'an overlong 2-byte "/"', hex: 'c0af', valid: false },
  { ab: '6.17.2', name: 'an overlong 3-byte "/"', hex: 'e080af', valid: false },
  { ab: '6.17.3', name: 'an overlong 4-byte "/"', hex: 'f08080af', valid: false },
  { ab: '6.17.4', name: 'an overlong 5-byte "/"', hex: 'f8808080af', valid: false },
  { ab: '6.17.5', name: 'an overlong 6-byte "/"', hex: 'fc80808080af', valid: false },
  { ab: '6.18.1', name: 'the maximum overlong 2-byte sequence', hex: 'c1bf', valid: false },
  { ab: '6.18.2', name: 'the maximum overlong 3-byte sequence', hex: 'e09fbf', valid: false },
  { ab: '6.18.3', name: 'the maximum overlong 4-byte sequence', hex: 'f08fbfbf', valid: false },
  { ab: '6.19.1', name: 'an overlong 2-byte NUL', hex: 'c080', valid: false },
  { ab: '6.19.2', name: 'an overlong 3-byte NUL', hex: 'e08080', valid: false },
  { ab: '6.19.3', name: 'an overlong 4-byte NUL', hex: 'f0808080', valid: false },
  { ab: '6.20.1', name: 'the single surrogate U+D800', hex: 'eda080', valid: false },
  { ab: '6.20.2', name: 'the single surrogate U+DB7F', hex: 'edadbf', valid: false },
  { ab: '6.20.3', name: 'the single surrogate U+DB80', hex: 'edae80', valid: false },
  { ab: '6.20.4', name: 'the single surrogate U+DBFF', hex: 'edafbf', valid: false },
  { ab: '6.20.5', name: 'the single surrogate U+DC00', hex: 'edb080', valid: false },
  { ab: '6.20.6', name: 'the single surrogate U+DF80', hex: 'edbe80', valid: false },
  { ab: '6.20.7', name: 'the single surrogate U+DFFF', hex: 'edbfbf', valid: false },
  { ab: '6.21.1', name: 'the surrogate pair U+D800 U+DC00', hex: 'eda080edb080', valid: false },
  { ab: '6.21.8', name: 'the surrogate pair U+DBFF U+DFFF', hex: 'edafbfedbfbf', valid: false },
  { ab: '6.22.1', name: 'the noncharacter U+FFFE', hex: 'efbfbe', valid: true },
  { ab: '6.22.2', name: 'the noncharacter U+FFFF', hex: 'efbfbf', valid: true },
  { ab: '6.22.3', name: 'the noncharacter U+1FFFE', hex: 'f09fbfbe', valid: true },
  { ab: '6.22.34', name: 'the noncharacter U+10FFFF', hex: 'f48fbfbf', valid: true },
  { ab: '6.22.35', name: 'the noncharacter U+FDD0', hex: 'efb790', valid: true },
  { ab: '6.23.1', name: 'the replacement character U+FFFD', hex: 'efbfbd', valid: true },
  { ab: '6.23.2', name: 'the byte order mark U+FEFF', hex: 'efbbbf', valid: true },
  { ab: '6.23.7', name: 'U+FFFD after ASCII', hex: '41efbfbd', valid: true },
];
for (const c of utf8Cases) {
  add(
    c.valid
      ? {
          rfc: '§5.6',
          autobahn: c.ab,
          role: 'both',
          name: `delivers ${c.name} as valid UTF-8`,
          hex: frame(0x81, c.hex),
          expect: { events: [`text:${Buffer.from(c.hex, 'hex').toString('utf8')}`] },
        }
      : {
          rfc: '§8.1',
          autobahn: c.ab,
          role: 'both',
          name: `fails ${c.name} with 1007`,
          hex: frame(0x81, c.hex),
          expect: { close: 1007 },
        },
  );
}

// ---- Section 7: closing handshake (§5.5.1, §7) ------------------------------------------------
add({
  rfc: '§5.5.1',
  autobahn: '7.1.1',
  role: 'both',
  name: 'delivers a text, then echoes the close frame',
  hex: `${text('Hello World!')} ${CLOSE_1000}`,
  expect: { events: ['text:Hello World!', ...CLEAN] },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.1.2',
  role: 'both',
  name: 'ignores a second close frame',
  hex: `${CLOSE_1000} ${CLOSE_1000}`,
  expect: { events: CLEAN },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.1.3',
  role: 'both',
  name: 'does not answer a ping after the close frame',
  hex: `${CLOSE_1000} ${ping(utf8('Hello World!'))}`,
  expect: { events: CLEAN },
});
add({
  rfc: '§7.1.7',
  autobahn: '7.1.4',
  role: 'both',
  name: 'does not deliver a text after the close frame',
  hex: `${CLOSE_1000} ${text('Hello World!')}`,
  expect: { events: CLEAN },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.1.5',
  role: 'both',
  name: 'discards a partial fragmented text when the close frame arrives',
  hex: `${text('fragment1', false)} ${CLOSE_1000} ${cont('fragment2')}`,
  expect: { events: CLEAN },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.1.6',
  role: 'both',
  name: 'delivers a large text, closes, and ignores a later ping',
  hex: `${frame(0x81, utf8('BAsd7&jh23'.repeat(26)))} ${CLOSE_1000} ${ping(utf8('Hello World!'))}`,
  expect: { events: [`text:${'BAsd7&jh23'.repeat(26)}`, ...CLEAN] },
});
add({
  rfc: '§7.1.5',
  autobahn: '7.3.1',
  role: 'both',
  name: 'echoes a close frame without payload and reports 1005',
  hex: close(),
  expect: { events: ['closing:1005', 'close:1005'] },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.3.2',
  role: 'both',
  name: 'fails a close frame with a 1-byte payload with 1002',
  hex: '88 01 03',
  expect: { close: 1002 },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.3.3',
  role: 'both',
  name: 'echoes a close frame with a code only',
  hex: CLOSE_1000,
  expect: { events: CLEAN },
});
add({
  rfc: '§5.5.1',
  autobahn: '7.3.4',
  role: 'both',
  name: 'echoes a close frame with a code and a reason',
  hex: close(1000, 'Hello World!'),
  expect: { events: ['closing:1000', 'close:1000'] },
});
add({
  rfc: '§5.5',
  autobahn: '7.3.5',
  role: 'both',
  name: 'echoes a close frame with a 123-byte reason',
  hex: close(1000, '*'.repeat(123)),
  expect: { events: ['closing:1000', 'close:1000'] },
});
add({
  rfc: '§5.5',
  autobahn: '7.3.6',
  role: 'both',
  name: 'fails a close frame with a 124-byte reason (126-byte payload) with 1002',
  hex: `88 7e 007e 03e8${utf8('*'.repeat(124))}`,
  expect: { close: 1002 },
});
add({
  rfc: '§8.1',
  autobahn: '7.5.1',
  role: 'both',
  name: 'fails a close reason with invalid UTF-8 with 1007',
  hex: `88 0e 03e8 ${KOSME}eda080${utf8('ed')}`,
  expect: { close: 1007 },
});
for (const [i, code] of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].entries()) {
  add({
    rfc: '§7.4.1',
    autobahn: `7.7.${i + 1}`,
    role: 'both',
    name: `echoes close code ${code}`,
    hex: close(code),
    expect: { events: [`closing:${code}`, `close:${code}`] },
  });
}
for (const code of [1012, 1013, 1014]) {
  add({
    rfc: '§7.4.1',
    role: 'both',
    name: `echoes registered close code ${code}`,
    hex: close(code),
    expect: { events: [`closing:${code}`, `close:${code}`] },
  });
}
for (const [i, code] of [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].entries()) {
  add({
    rfc: '§7.4.1',
    autobahn: `7.9.${i + 1}`,
    role: 'both',
    name: `fails close code ${code} with 1002`,
    hex: close(code),
    expect: { close: 1002 },
  });
}
add({
  rfc: '§7.4.1',
  role: 'both',
  name: 'fails close code 1015 (internal) with 1002',
  hex: close(1015),
  expect: { close: 1002 },
});
add({
  rfc: '§7.4.2',
  autobahn: '7.13.1',
  role: 'both',
  name: 'fails close code 5000 with 1002',
  hex: close(5000),
  expect: { close: 1002 },
});
add({
  rfc: '§7.4.2',
  autobahn: '7.13.2',
  role: 'both',
  name: 'fails close code 65535 with 1002',
  hex: close(65535),
  expect: { close: 1002 },
});

/** The vector table, in a stable order (the conformance file is keyed by role and name). */
export const VECTORS: readonly Vector[] = rows;
