// Tests for src/protocol/handshake/request.ts: the server side of RFC 6455 §4.2 and docs/security-cases.md 4.1 (HS-*).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import { generateKey } from '../../../src/protocol/handshake/accept-key.ts';
import {
  STATUS_TEXT,
  buildAcceptResponse,
  buildClientRequest,
  buildRejectResponse,
  validateUpgradeRequest,
} from '../../../src/protocol/handshake/request.ts';
import type { UpgradeRequest } from '../../../src/protocol/handshake/request.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
type Headers = UpgradeRequest['headers'];

function request(
  overrides: Headers = {},
  line: Partial<Pick<UpgradeRequest, 'method' | 'httpVersion'>> = {},
): UpgradeRequest {
  const headers: Headers = {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { method: line.method ?? 'GET', httpVersion: line.httpVersion ?? '1.1', url: '/ws', headers };
}

function rejects(req: UpgradeRequest, status: number, code: string, headers: Record<string, string> = {}): void {
  assert.throws(
    () => validateUpgradeRequest(req),
    (e: unknown) => {
      assert.ok(e instanceof HandshakeError, String(e));
      assert.equal(e.status, status);
      assert.equal(e.code, code);
      assert.deepEqual(e.headers, headers);
      return true;
    },
  );
}

test('HS-08 a minimal valid request is accepted and reports key, host, origin and no offers (RFC 6455 §4.2.1)', () => {
  assert.deepEqual(validateUpgradeRequest(request()), {
    key: KEY,
    protocols: [],
    extensions: [],
    origin: null,
    host: 'example.com',
  });
});

test('a browser-like request reports its origin, subprotocols and extension offers (RFC 6455 §4.2.1)', () => {
  const v = validateUpgradeRequest(
    request({
      host: 'localhost:8080',
      connection: 'keep-alive, Upgrade',
      origin: 'http://localhost:8080',
      'sec-websocket-protocol': 'chat.v2, chat.v1',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    }),
  );
  assert.equal(v.origin, 'http://localhost:8080');
  assert.deepEqual(v.protocols, ['chat.v2', 'chat.v1']);
  assert.equal(v.extensions.length, 1);
  assert.equal(v.extensions[0]?.name, 'permessage-deflate');
  assert.equal(v.extensions[0]?.params.get('client_max_window_bits'), true);
});

test('headersDistinct-style arrays of one line are read like strings, and list headers are joined (RFC 7230 §3.2.2)', () => {
  const v = validateUpgradeRequest(
    request({
      host: ['example.com'],
      upgrade: ['websocket'],
      connection: ['keep-alive', 'Upgrade'],
      'sec-websocket-key': [KEY],
      'sec-websocket-version': ['13'],
      'sec-websocket-protocol': ['a', 'b'],
      'sec-websocket-extensions': ['x', 'y; z'],
    }),
  );
  assert.deepEqual(v.protocols, ['a', 'b']);
  assert.deepEqual(
    v.extensions.map((e) => e.name),
    ['x', 'y'],
  );
});

test('HS-02 server answers POST, PUT and HEAD with 405 and Allow: GET (RFC 6455 §4.2.1 item 1 "GET request")', () => {
  for (const method of ['POST', 'PUT', 'HEAD', 'get', 'CONNECT']) {
    rejects(request({}, { method }), 405, 'WS_ERR_METHOD_NOT_ALLOWED', { Allow: 'GET' });
  }
});

test('HS-01 server answers HTTP/1.0 and malformed versions with 400 (RFC 6455 §4.2.1 item 1 "HTTP/1.1 or higher")', () => {
  for (const httpVersion of ['1.0', '0.9', '', '1', '1.', '.1', 'x.y', '1.1.1', '1,1', '01234567.1']) {
    rejects(request({}, { httpVersion }), 400, 'WS_ERR_UNSUPPORTED_HTTP_VERSION');
  }
  for (const httpVersion of ['1.1', '1.2', '2.0', '3.0'])
    assert.equal(validateUpgradeRequest(request({}, { httpVersion })).key, KEY);
});

test('server answers a Hixie-76 request (Sec-WebSocket-Key1/Key2) with 400 (OWASP: RFC 6455 only)', () => {
  const hixie = {
    'sec-websocket-key1': '4 @1  46546xW%0l 1 5',
    'sec-websocket-key2': '12998 5 Y3 1  .P00',
    'sec-websocket-version': undefined,
    'sec-websocket-key': undefined,
  };
  rejects(request(hixie), 400, 'WS_ERR_HIXIE_UNSUPPORTED');
  rejects(request({ 'sec-websocket-key1': 'x' }), 400, 'WS_ERR_HIXIE_UNSUPPORTED');
  rejects(request({ 'sec-websocket-key2': 'x' }), 400, 'WS_ERR_HIXIE_UNSUPPORTED');
  rejects(request({ 'sec-websocket-key2': [''] }), 400, 'WS_ERR_HIXIE_UNSUPPORTED');
  const absent = request();
  absent.headers['sec-websocket-key1'] = undefined;
  assert.equal(validateUpgradeRequest(absent).key, KEY);
});

test('HS-03 server answers a missing, empty, repeated or invalid Host with 400 (RFC 6455 §4.2.1 item 2, RFC 7230 §5.4)', () => {
  rejects(request({ host: undefined }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: '' }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: [] }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: ['a.example', 'b.example'] }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: 'a.example, b.example' }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: 'a b' }), 400, 'WS_ERR_INVALID_HOST');
  rejects(request({ host: 'a/b' }), 400, 'WS_ERR_INVALID_HOST');
  for (const host of ['example.com:443', '[::1]:8080', '127.0.0.1', ' example.com ']) {
    assert.equal(validateUpgradeRequest(request({ host })).host, host.trim());
  }
});

test('HS-04 server answers Upgrade: h2c or websocketx with 400 and accepts any case of websocket (RFC 6455 §4.2.1 item 3 "ASCII case-insensitive")', () => {
  rejects(request({ upgrade: 'h2c' }), 400, 'WS_ERR_INVALID_UPGRADE');
  rejects(request({ upgrade: 'websocketx' }), 400, 'WS_ERR_INVALID_UPGRADE');
  rejects(request({ upgrade: 'websocket/' }), 400, 'WS_ERR_INVALID_UPGRADE');
  rejects(request({ upgrade: '' }), 400, 'WS_ERR_INVALID_UPGRADE');
  for (const upgrade of ['WebSocket', 'WEBSOCKET', 'HTTP/2.0, websocket', ' websocket ']) {
    assert.equal(validateUpgradeRequest(request({ upgrade })).key, KEY, upgrade);
  }
});

test('HS-04/HS-09 server answers a request without Upgrade with 426 and Upgrade: websocket (RFC 7231 §6.5.15)', () => {
  rejects(request({ upgrade: undefined }), 426, 'WS_ERR_UPGRADE_REQUIRED', { Upgrade: 'websocket' });
  rejects(
    { method: 'GET', httpVersion: '1.1', url: '/ws', headers: { host: 'example.com' } },
    426,
    'WS_ERR_UPGRADE_REQUIRED',
    { Upgrade: 'websocket' },
  );
});

test('HS-05 server accepts Connection: keep-alive, Upgrade and UPGRADE, and answers keep-alive alone with 426 (RFC 6455 §4.2.1 item 4)', () => {
  for (const connection of ['keep-alive, Upgrade', 'UPGRADE', 'upgrade', 'Upgrade, keep-alive', ',Upgrade,']) {
    assert.equal(validateUpgradeRequest(request({ connection })).key, KEY, connection);
  }
  rejects(request({ connection: 'keep-alive' }), 426, 'WS_ERR_UPGRADE_REQUIRED', { Upgrade: 'websocket' });
  rejects(request({ connection: undefined }), 426, 'WS_ERR_UPGRADE_REQUIRED', { Upgrade: 'websocket' });
  rejects(request({ connection: 'upgrades' }), 426, 'WS_ERR_UPGRADE_REQUIRED', { Upgrade: 'websocket' });
  rejects(request({ connection: 'keep alive' }), 400, 'WS_ERR_INVALID_CONNECTION');
});

test('HS-07 server answers Sec-WebSocket-Version missing, 8, 12, 14, "13, 8" or abc with 426 and Sec-WebSocket-Version: 13 (RFC 6455 §4.2.2 /version/)', () => {
  const v13 = { 'Sec-WebSocket-Version': '13' };
  rejects(request({ 'sec-websocket-version': undefined }), 426, 'WS_ERR_UNSUPPORTED_VERSION', v13);
  for (const version of ['8', '12', '14', '13, 8', 'abc', '013', '', '13.0']) {
    rejects(request({ 'sec-websocket-version': version }), 426, 'WS_ERR_UNSUPPORTED_VERSION', v13);
  }
  assert.equal(validateUpgradeRequest(request({ 'sec-websocket-version': ' 13\t' })).key, KEY);
});

test('server answers a repeated Sec-WebSocket-Version line with 400 (single-valued, RFC 6455 §4.2.1 item 6)', () => {
  rejects(request({ 'sec-websocket-version': ['13', '13'] }), 400, 'WS_ERR_DUPLICATE_HEADER');
});

test('HS-06 server answers a missing, non-base64, short, spaced or repeated Sec-WebSocket-Key with 400 (RFC 6455 §4.2.1 item 5)', () => {
  rejects(request({ 'sec-websocket-key': undefined }), 400, 'WS_ERR_INVALID_KEY');
  for (const key of ['', 'not base64 at all!!!!!!!', 'dGVzdA==', 'dGhl IHNhbXBsZSBub25jZQ=', `${KEY}, ${KEY}`]) {
    rejects(request({ 'sec-websocket-key': key }), 400, 'WS_ERR_INVALID_KEY');
  }
  rejects(request({ 'sec-websocket-key': [KEY, KEY] }), 400, 'WS_ERR_DUPLICATE_HEADER');
  assert.equal(validateUpgradeRequest(request({ 'sec-websocket-key': ` ${KEY} ` })).key, KEY);
});

test('server answers a repeated Origin line with 400 and reports a single one', () => {
  rejects(request({ origin: ['https://a.example', 'https://b.example'] }), 400, 'WS_ERR_DUPLICATE_HEADER');
  assert.equal(validateUpgradeRequest(request({ origin: 'null' })).origin, 'null');
});

test('HS-13/HS-14 server answers malformed or duplicate subprotocol lists with 400 (RFC 6455 §4.1 "MUST all be unique")', () => {
  for (const protocols of ['a, a', 'a b', '', `b${' '.repeat(32_000)}x`]) {
    rejects(request({ 'sec-websocket-protocol': protocols }), 400, 'WS_ERR_INVALID_PROTOCOL');
  }
  assert.deepEqual(validateUpgradeRequest(request({ 'sec-websocket-protocol': 'a,,b' })).protocols, ['a', 'b']);
});

test('HS-15 prototype-named extensions parse without harm; ",;constructor" is malformed: 400 (RFC 6455 §9.1)', () => {
  for (const ext of ['constructor', 'permessage-deflate; __proto__=1', 'toString', '__proto__']) {
    const v = validateUpgradeRequest(request({ 'sec-websocket-extensions': ext }));
    assert.equal(v.extensions.length, 1);
  }
  rejects(request({ 'sec-websocket-extensions': ',;constructor' }), 400, 'WS_ERR_INVALID_EXTENSION');
});

test('HS-16 server answers an unclosed quoted-string of backslash pairs with 400 (RFC 6455 §9.1)', () => {
  rejects(request({ 'sec-websocket-extensions': `a; b="${'\\c'.repeat(50_000)}` }), 400, 'WS_ERR_INVALID_EXTENSION');
});

test('HS-11 a header map whose required headers were dropped reads them as missing, never crashes (CVE-2024-37890)', () => {
  const flood: Headers = {};
  for (let i = 0; i < 2000; i++) flood[`x-${i}`] = 'v';
  rejects(
    {
      method: 'GET',
      httpVersion: '1.1',
      url: '/',
      headers: { ...flood, host: 'h', upgrade: 'websocket', connection: 'upgrade' },
    },
    426,
    'WS_ERR_UNSUPPORTED_VERSION',
    {
      'Sec-WebSocket-Version': '13',
    },
  );
});

test('headers inherited through the prototype chain are ignored (polluted Object.prototype cannot supply a key)', () => {
  const inherited = Object.create({ 'sec-websocket-key': KEY }) as Headers;
  Object.assign(inherited, request({ 'sec-websocket-key': undefined }).headers);
  rejects({ method: 'GET', httpVersion: '1.1', url: '/', headers: inherited }, 400, 'WS_ERR_INVALID_KEY');
});

test('a header map holding non-strings is caller misuse: TypeError', () => {
  assert.throws(() => validateUpgradeRequest(request({ host: 42 as unknown as string })), TypeError);
  assert.throws(() => validateUpgradeRequest(request({ upgrade: [1] as unknown as string[] })), TypeError);
});

test('property: validateUpgradeRequest throws nothing but HandshakeError for any header content', () => {
  const value = fc.oneof(
    fc.string({
      unit: fc.constantFrom('a', '1', ' ', ',', ';', '=', '"', '\\', '/', '\r', '\n', 'é', '='),
      maxLength: 30,
    }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('websocket', 'Upgrade', '13', KEY, 'example.com'),
  );
  const names = fc.constantFrom(
    'host',
    'upgrade',
    'connection',
    'sec-websocket-key',
    'sec-websocket-version',
    'sec-websocket-protocol',
    'sec-websocket-extensions',
    'origin',
    'sec-websocket-key1',
  );
  fc.assert(
    fc.property(
      fc.dictionary(names, fc.oneof(value, fc.array(value, { maxLength: 3 }))),
      fc.constantFrom('GET', 'POST'),
      fc.constantFrom('1.1', '1.0', 'x'),
      (headers, method, httpVersion) => {
        try {
          validateUpgradeRequest({ method, httpVersion, url: '/', headers });
        } catch (e) {
          assert.ok(e instanceof HandshakeError, String(e));
          assert.ok([400, 405, 426].includes(e.status));
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('buildAcceptResponse writes the RFC 6455 §4.2.2 101 head for the sample key (HS-08)', () => {
  assert.equal(
    buildAcceptResponse({ key: KEY }),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
  );
});

test('buildAcceptResponse adds the selected subprotocol, the extensions and extra headers with CR/LF stripped', () => {
  const head = buildAcceptResponse({
    key: KEY,
    protocol: 'chat',
    extensions: 'permessage-deflate\r\nX-Injected: 1',
    headers: { 'X-Request-Id': 'abc\r\nSet-Cookie: evil=1', 'X-Nul': 'a\u0000b\tc' },
  });
  assert.equal(
    head,
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n' +
      'Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflateX-Injected: 1\r\n' +
      'X-Request-Id: abcSet-Cookie: evil=1\r\nX-Nul: ab\tc\r\n\r\n',
  );
  assert.equal(buildAcceptResponse({ key: KEY, protocol: null, extensions: null }), buildAcceptResponse({ key: KEY }));
  assert.equal(buildAcceptResponse({ key: KEY, protocol: '', extensions: '' }), buildAcceptResponse({ key: KEY }));
});

test('buildAcceptResponse refuses an invalid key, a non-token subprotocol and headers it owns: TypeError', () => {
  assert.throws(() => buildAcceptResponse({ key: 'dGVzdA==' }), TypeError);
  assert.throws(() => buildAcceptResponse({ key: KEY, protocol: 'a b' }), TypeError);
  assert.throws(() => buildAcceptResponse({ key: KEY, headers: { 'sec-websocket-accept': 'x' } }), TypeError);
  assert.throws(() => buildAcceptResponse({ key: KEY, headers: { Connection: 'close' } }), TypeError);
  assert.throws(() => buildAcceptResponse({ key: KEY, headers: { 'Bad Name': 'x' } }), TypeError);
  assert.throws(() => buildAcceptResponse({ key: KEY, headers: { 'X-A': 1 as unknown as string } }), TypeError);
});

test('buildRejectResponse writes status line, Connection: close, Content-Type, Content-Length and body', () => {
  assert.equal(
    buildRejectResponse(400),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nBad Request',
  );
  assert.equal(
    buildRejectResponse(405, { headers: { Allow: 'GET' } }),
    'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\nAllow: GET\r\n\r\nMethod Not Allowed',
  );
  assert.equal(
    buildRejectResponse(499),
    'HTTP/1.1 499 \r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n',
  );
  for (const [status, text] of Object.entries(STATUS_TEXT))
    assert.ok(buildRejectResponse(Number(status)).startsWith(`HTTP/1.1 ${status} ${text}\r\n`));
});

test('buildRejectResponse counts Content-Length in UTF-8 bytes and lets Content-Type be overridden', () => {
  const r = buildRejectResponse(403, { body: '{"error":"é€"}', headers: { 'content-type': 'application/json' } });
  assert.ok(r.includes('Content-Length: 17\r\n'), r);
  assert.ok(!r.includes('text/plain'));
  assert.ok(r.endsWith('\r\n\r\n{"error":"é€"}'));
});

test('buildRejectResponse for 426 with Upgrade also names Upgrade in Connection (RFC 7230 §6.7)', () => {
  const r = buildRejectResponse(426, { headers: { Upgrade: 'websocket' } });
  assert.ok(r.includes('\r\nConnection: Upgrade, close\r\n'), r);
  assert.ok(r.includes('\r\nUpgrade: websocket\r\n'), r);
});

test('buildRejectResponse never lets a header value end its line: CR/LF stripped', () => {
  const r = buildRejectResponse(401, { headers: { 'WWW-Authenticate': 'Bearer\r\n\r\nHTTP/1.1 200 OK' } });
  assert.equal(r.split('\r\n\r\n').length, 2);
  assert.ok(r.includes('WWW-Authenticate: BearerHTTP/1.1 200 OK\r\n'));
});

test('buildRejectResponse refuses statuses outside 300-599 (RangeError) and headers it owns (TypeError)', () => {
  for (const status of [101, 200, 299, 600, 400.5, Number.NaN])
    assert.throws(() => buildRejectResponse(status), RangeError);
  for (const name of ['Content-Length', 'connection', 'Transfer-Encoding']) {
    assert.throws(() => buildRejectResponse(400, { headers: { [name]: '1' } }), TypeError);
  }
});

/** Minimal head parser for round trips: lower-case names, repeated names as arrays. */
function parseHead(head: string): { line: string; headers: Record<string, string | string[]> } {
  assert.ok(head.endsWith('\r\n\r\n'));
  const [line = '', ...rest] = head.slice(0, -4).split('\r\n');
  const headers: Record<string, string | string[]> = {};
  for (const l of rest) {
    const colon = l.indexOf(':');
    const name = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return { line, headers };
}

test('buildClientRequest writes the RFC 6455 §4.1 request and validateUpgradeRequest accepts it', () => {
  const key = generateKey();
  const head = buildClientRequest({
    host: 'localhost:8080',
    path: '/chat?room=1',
    key,
    protocols: ['chat.v2', 'chat.v1'],
    extensions: 'permessage-deflate; client_max_window_bits',
    origin: 'http://localhost:8080',
    headers: { Authorization: 'Bearer t\r\nX: y' },
  });
  assert.equal(
    head,
    `GET /chat?room=1 HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v2, chat.v1\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n' +
      'Origin: http://localhost:8080\r\nAuthorization: Bearer tX: y\r\n\r\n',
  );
  const { line, headers } = parseHead(head);
  assert.equal(line, 'GET /chat?room=1 HTTP/1.1');
  const v = validateUpgradeRequest({ method: 'GET', httpVersion: '1.1', url: '/chat?room=1', headers });
  assert.equal(v.key, key);
  assert.deepEqual(v.protocols, ['chat.v2', 'chat.v1']);
  assert.equal(v.origin, 'http://localhost:8080');
  assert.equal(
    buildClientRequest({ host: 'h', path: '/', key: KEY }),
    `GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
});

test('buildClientRequest refuses a bad host, path, key or protocol list and headers it owns: TypeError', () => {
  const ok = { host: 'h', path: '/', key: KEY };
  const bad: Array<Parameters<typeof buildClientRequest>[0]> = [
    { ...ok, host: 'h\r\nX: y' },
    { ...ok, host: '' },
    { ...ok, path: 'x' },
    { ...ok, path: '/a b' },
    { ...ok, path: '/a\r\n' },
    { ...ok, path: '' },
    { ...ok, key: 'dGVzdA==' },
    { ...ok, protocols: ['a b'] },
    { ...ok, protocols: ['a', 'a'] },
    { ...ok, protocols: [''] },
    { ...ok, headers: { 'Sec-WebSocket-Key': KEY } },
    { ...ok, headers: { host: 'x' } },
    { ...ok, origin: 'o', headers: { Origin: 'x' } },
  ];
  for (const opts of bad) assert.throws(() => buildClientRequest(opts), TypeError, JSON.stringify(opts));
  assert.ok(buildClientRequest({ ...ok, headers: { Origin: 'x' } }).includes('\r\nOrigin: x\r\n'));
});
