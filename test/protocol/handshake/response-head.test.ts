// Tests for src/protocol/handshake/response-head.ts: the client's sans-I/O reader of the server's HTTP response head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import { computeAcceptKey } from '../../../src/protocol/handshake/accept-key.ts';
import {
  findHeadEnd,
  parseResponseHead,
  RESPONSE_HEAD_LIMITS,
  ResponseHeadReader,
} from '../../../src/protocol/handshake/response-head.ts';
import { validateUpgradeResponse } from '../../../src/protocol/handshake/response.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = computeAcceptKey(KEY);
const OK_101 = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n\r\n`;
const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

function invalid(text: string | Uint8Array, limits = {}, detail?: RegExp): void {
  assert.throws(
    () => parseResponseHead(typeof text === 'string' ? bytes(text) : text, limits),
    (e: unknown) => {
      assert.ok(e instanceof HandshakeError, String(e));
      assert.equal(e.code, 'WS_ERR_INVALID_RESPONSE');
      assert.equal(e.status, 0);
      if (detail !== undefined) assert.match(e.message, detail);
      return true;
    },
    JSON.stringify(typeof text === 'string' ? text.slice(0, 80) : 'bytes'),
  );
}

test('a 101 head parses into status, reason, version and lower-case headers; the bytes after it are not read', () => {
  const frame = '\x81\x02hi';
  const parsed = parseResponseHead(bytes(OK_101 + frame));
  assert.ok(parsed !== null);
  assert.equal(parsed.headLength, OK_101.length);
  assert.equal(parsed.head.statusCode, 101);
  assert.equal(parsed.head.statusMessage, 'Switching Protocols');
  assert.equal(parsed.head.httpVersion, '1.1');
  assert.deepEqual(
    { ...parsed.head.headers },
    { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT },
  );
  assert.deepEqual(validateUpgradeResponse(parsed.head, { key: KEY, protocols: [], extensionsOffered: [] }), {
    protocol: '',
    extensions: [],
  });
});

test('values lose their surrounding OWS, keep inner spaces and obs-text; repeated headers become arrays; HTTP/1.0 and an empty reason pass', () => {
  const head =
    'HTTP/1.0 101\r\nX-A: \t one two \t\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nSET-COOKIE:c=3\r\nX-Latin: caf\xe9\r\nX-Empty:\r\n\r\n';
  const parsed = parseResponseHead(bytes(head));
  assert.ok(parsed !== null);
  assert.equal(parsed.head.httpVersion, '1.0');
  assert.equal(parsed.head.statusMessage, '');
  assert.equal(parsed.head.headers['x-a'], 'one two');
  assert.deepEqual(parsed.head.headers['set-cookie'], ['a=1', 'b=2', 'c=3']);
  assert.equal(parsed.head.headers['x-latin'], 'caf\u00e9');
  assert.equal(parsed.head.headers['x-empty'], '');
});

test('a header named __proto__ or constructor is a plain entry, never the prototype', () => {
  const parsed = parseResponseHead(bytes('HTTP/1.1 101 OK\r\n__proto__: x\r\nconstructor: y\r\n\r\n'));
  assert.ok(parsed !== null);
  // biome-ignore lint/suspicious/noProto: a header named __proto__ must be stored as plain data, not reach the prototype.
  assert.equal(parsed.head.headers['__proto__'], 'x');
  assert.equal(Object.getPrototypeOf(parsed.head.headers), null);
  assert.equal(Object.hasOwn(parsed.head.headers, 'constructor'), true);
});

test('an incomplete head is null; the reader gives the same head fed a byte at a time, with the bytes after it', () => {
  assert.equal(parseResponseHead(bytes(OK_101.slice(0, -1))), null);
  assert.equal(parseResponseHead(new Uint8Array(0)), null);
  const reader = new ResponseHeadReader();
  const all = bytes(`${OK_101}\x81\x00`);
  let done: ReturnType<ResponseHeadReader['push']> = null;
  for (let i = 0; i < all.length && done === null; i++) {
    done = reader.push(all.subarray(i, i + 1));
    if (i < OK_101.length - 1) assert.equal(done, null, `complete too early at byte ${i}`);
  }
  assert.ok(done !== null);
  assert.equal(done.head.headers['sec-websocket-accept'], ACCEPT);
  assert.deepEqual([...done.rest], []);
  const split = new ResponseHeadReader();
  assert.equal(split.push(bytes(OK_101.slice(0, -3))), null);
  const rest = split.push(bytes(`${OK_101.slice(-3)}\x81\x00`));
  assert.ok(rest !== null);
  assert.deepEqual([...rest.rest], [0x81, 0x00]);
});

test('findHeadEnd finds the first CRLFCRLF only, from the given offset', () => {
  assert.equal(findHeadEnd(bytes('a\r\n\r\nb\r\n\r\n')), 1);
  assert.equal(findHeadEnd(bytes('a\r\n\r\nb\r\n\r\n'), 2), 6);
  assert.equal(findHeadEnd(bytes('a\n\n\r\n\r')), -1);
});

test('no CRLFCRLF within maxHeadBytes fails as too large; a head of exactly the limit passes', () => {
  invalid(`HTTP/1.1 101 OK\r\nX-Big: ${'a'.repeat(RESPONSE_HEAD_LIMITS.maxHeadBytes)}`, {}, /too large/);
  invalid(`HTTP/1.1 101 OK\r\nX: 1\r\n\r\n`, { maxHeadBytes: 20 }, /too large/);
  const exact = 'HTTP/1.1 101 OK\r\nX: 12\r\n\r\n';
  assert.equal(parseResponseHead(bytes(exact), { maxHeadBytes: exact.length })?.headLength, exact.length);
  invalid(exact, { maxHeadBytes: exact.length - 1 }, /too large/);
  const reader = new ResponseHeadReader({ maxHeadBytes: 64 });
  assert.equal(reader.push(bytes('HTTP/1.1 101 OK\r\n')), null);
  assert.throws(
    () => reader.push(bytes(`X: ${'b'.repeat(60)}`)),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_INVALID_RESPONSE',
  );
});

test('more header lines than maxHeaders fail', () => {
  const lines = (n: number): string =>
    `HTTP/1.1 101 OK\r\n${Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`;
  assert.ok(parseResponseHead(bytes(lines(RESPONSE_HEAD_LIMITS.maxHeaders))) !== null);
  invalid(lines(RESPONSE_HEAD_LIMITS.maxHeaders + 1), {}, /too many headers/);
  invalid(lines(3), { maxHeaders: 2 }, /too many headers/);
});

test('bad status lines fail: not HTTP/1.x, bad status code, extra spaces, control characters', () => {
  for (const line of [
    'SSH-2.0-OpenSSH',
    'HTTP/2 101 OK',
    'HTTP/2.0 101 OK',
    'HTTP/1.2 101 OK',
    'http/1.1 101 OK',
    'HTTP/1.1  101 OK',
    'HTTP/1.1 1010 OK',
    'HTTP/1.1 10 OK',
    'HTTP/1.1 099 OK',
    'HTTP/1.1 600 OK',
    'HTTP/1.1 1O1 OK',
    'HTTP/1.1 101OK',
    ' HTTP/1.1 101 OK',
    'HTTP/1.1 101 O\x00K',
    'HTTP/1.1 101 O\rK',
    '',
  ]) {
    invalid(`${line}\r\nUpgrade: websocket\r\n\r\n`, {}, /status line/);
  }
});

test('bad header lines fail: no colon, empty or non-token name, space before the colon, folding, control characters', () => {
  for (const line of [
    'NoColon',
    ': empty-name',
    'Bad Name: v',
    'Upgrade : websocket',
    'X(y): v',
    ' folded',
    '\tfolded',
    'X: a\x00b',
    'X: a\nb',
    'X: a\rb',
    'X: a\x7fb',
  ]) {
    invalid(`HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n${line}\r\n\r\n`, {}, /header line 2/);
  }
});

test('a refusal with a body: the head ends at the blank line and the status reaches validateUpgradeResponse', () => {
  const body = '<h1>Not Found</h1>\r\n\r\nmore';
  const text = `HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const parsed = parseResponseHead(bytes(text));
  assert.ok(parsed !== null);
  assert.equal(parsed.head.statusCode, 404);
  assert.equal(parsed.headLength, text.length - body.length);
  assert.throws(
    () => validateUpgradeResponse(parsed.head, { key: KEY, protocols: [], extensionsOffered: [] }),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_UNEXPECTED_RESPONSE' && e.status === 404,
  );
});

test('a duplicate Sec-WebSocket-Accept reaches validateUpgradeResponse as two lines and fails, even when both are right', () => {
  const text = OK_101.replace('\r\n\r\n', `\r\nsec-websocket-accept: ${ACCEPT}\r\n\r\n`);
  const parsed = parseResponseHead(bytes(text));
  assert.ok(parsed !== null);
  assert.deepEqual(parsed.head.headers['sec-websocket-accept'], [ACCEPT, ACCEPT]);
  assert.throws(
    () => validateUpgradeResponse(parsed.head, { key: KEY, protocols: [], extensionsOffered: [] }),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_INVALID_ACCEPT' && e.status === 101,
  );
});

test('error messages never quote the peer bytes', () => {
  const secret = 'Xsecret-value-from-peerX';
  for (const text of [
    `${secret}\r\n\r\n`,
    `HTTP/1.1 101 OK\r\n${secret}\r\n\r\n`,
    `HTTP/1.1 101 OK\r\nX: ${secret}\x00\r\n\r\n`,
  ]) {
    assert.throws(
      () => parseResponseHead(bytes(text)),
      (e: unknown) => e instanceof HandshakeError && !e.message.includes('secret'),
    );
  }
});

test('invalid limits are caller errors (RangeError)', () => {
  assert.throws(() => parseResponseHead(bytes(OK_101), { maxHeadBytes: -1 }), RangeError);
  assert.throws(() => parseResponseHead(bytes(OK_101), { maxHeaders: Number.NaN }), RangeError);
  assert.throws(() => new ResponseHeadReader({ maxHeaders: -2 }), RangeError);
});
