// Tests for src/protocol/handshake/request-head.ts and request-head-view.ts: the server's sans-I/O reader of an HTTP/1.1 request head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  REQUEST_HEAD_LIMITS,
  RequestHeadParser,
  type RequestHeadResult,
} from '../../../src/protocol/handshake/request-head.ts';
import { pickUpgradeHeaders } from '../../../src/protocol/handshake/headers.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE =
  'GET /ws?room=1 HTTP/1.1\r\n' +
  'Host: example.com:8080\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: keep-alive, Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\n` +
  'Sec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Origin: https://example.com\r\n' +
  'Cookie: a=1\r\n' +
  'cookie: b=2\r\n' +
  'X-Spaced:   padded value \t\r\n' +
  '\r\n';
const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

function parseAll(text: string | Uint8Array, limits = {}): RequestHeadResult | null {
  return new RequestHeadParser(limits).push(typeof text === 'string' ? bytes(text) : text);
}

function refusal(text: string, limits = {}): { status: number; code: string } {
  const result = parseAll(text, limits);
  assert.ok(
    result !== null && result.kind === 'refused',
    `expected a refusal for ${JSON.stringify(text.slice(0, 60))}`,
  );
  return { status: result.status, code: result.code };
}

/** A comparable summary of a result (the head's fields and lazily built maps, or the refusal). */
function summary(result: RequestHeadResult | null): unknown {
  if (result === null) return null;
  if (result.kind === 'refused') return { status: result.status, code: result.code };
  const h = result.head;
  return {
    method: h.method,
    url: h.url,
    httpVersion: h.httpVersion,
    upgrade: h.wantsUpgrade,
    picked: h.upgradeHeaders(),
    raw: h.rawHeaders,
    headers: { ...h.headers },
    rest: Array.from(result.rest),
  };
}

test('an upgrade head parses into method, target, version and the handshake headers; the bytes after it are the rest', () => {
  const result = parseAll(`${UPGRADE}\x81\x82`);
  assert.ok(result !== null && result.kind === 'head');
  const h = result.head;
  assert.equal(h.method, 'GET');
  assert.equal(h.url, '/ws?room=1');
  assert.equal(h.httpVersion, '1.1');
  assert.equal(h.wantsUpgrade, true);
  assert.equal(h.byteLength, UPGRADE.length);
  assert.deepEqual(Array.from(result.rest), [0x81, 0x82]);
  assert.deepEqual(h.upgradeHeaders(), {
    host: 'example.com:8080',
    upgrade: 'websocket',
    connection: 'keep-alive, Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    'sec-websocket-protocol': 'chat, superchat',
    origin: 'https://example.com',
  });
});

test('the picked headers are exactly what pickUpgradeHeaders reads from the raw list (both accept paths validate the same map)', () => {
  const result = parseAll(`${UPGRADE.slice(0, -2)}Host: second\r\nSEC-WEBSOCKET-KEY: ${KEY}\r\n\r\n`);
  assert.ok(result !== null && result.kind === 'head');
  assert.deepEqual(result.head.upgradeHeaders(), pickUpgradeHeaders(result.head.rawHeaders));
  assert.deepEqual(result.head.upgradeHeaders()['host'], ['example.com:8080', 'second']);
});

test('headers, headersDistinct and rawHeaders are built on demand in the shape node:http gives them', () => {
  const result = parseAll(
    `${UPGRADE.slice(0, -2)}Set-Cookie: x=1\r\nset-cookie: y=2\r\nAuthorization: first\r\nAuthorization: second\r\nX-List: a\r\nx-list: b\r\n\r\n`,
  );
  assert.ok(result !== null && result.kind === 'head');
  const h = result.head;
  assert.equal(h.headers['cookie'], 'a=1; b=2');
  assert.deepEqual(h.headers['set-cookie'], ['x=1', 'y=2']);
  assert.equal(h.headers['authorization'], 'first');
  assert.equal(h.headers['x-list'], 'a, b');
  assert.equal(h.headers['x-spaced'], 'padded value');
  assert.deepEqual(h.headersDistinct['authorization'], ['first', 'second']);
  assert.deepEqual(h.rawHeaders.slice(0, 2), ['Host', 'example.com:8080']);
  // A null-prototype map: a header named like an Object.prototype member is only ever a header.
  assert.equal(h.headers['constructor'], undefined);
  assert.equal(h.headers, h.headers, 'built once');
});

test('toBytes gives back the head as received (for the hand-off to node:http)', () => {
  const result = parseAll(`\r\n${UPGRADE}`);
  assert.ok(result !== null && result.kind === 'head');
  assert.equal(Buffer.from(result.head.toBytes()).toString('latin1'), UPGRADE);
});

test('wantsUpgrade follows node:http: an Upgrade header and "upgrade" in the Connection list', () => {
  const head = (extra: string) => {
    const r = parseAll(`GET / HTTP/1.1\r\nHost: a\r\n${extra}\r\n`);
    assert.ok(r !== null && r.kind === 'head');
    return r.head.wantsUpgrade;
  };
  assert.equal(head('Upgrade: websocket\r\nConnection: Upgrade\r\n'), true);
  assert.equal(head('Upgrade: h2c\r\nConnection: HTTP2-Settings ,  upgrade\r\n'), true);
  assert.equal(head('Upgrade: websocket\r\nConnection: keep-alive\r\n'), false);
  assert.equal(head('Connection: Upgrade\r\n'), false);
  assert.equal(head('Upgrade: websocket\r\nConnection: upgraded\r\n'), false);
  assert.equal(head(''), false);
});

test('empty lines before the request line are skipped (RFC 9112 §2.2)', () => {
  const r = parseAll(`\r\n\r\n${UPGRADE}`);
  assert.ok(r !== null && r.kind === 'head');
  assert.equal(r.head.method, 'GET');
});

test('HTTP/1.0 and HTTP/1.2 parse (the handshake answers them); other major versions are refused with 400', () => {
  for (const minor of ['0', '2']) {
    const r = parseAll(`GET / HTTP/1.${minor}\r\nHost: a\r\n\r\n`);
    assert.ok(r !== null && r.kind === 'head');
    assert.equal(r.head.httpVersion, `1.${minor}`);
  }
  assert.deepEqual(refusal('GET / HTTP/2.0\r\n\r\n'), { status: 400, code: 'WS_ERR_UNSUPPORTED_HTTP_VERSION' });
  assert.deepEqual(refusal('GET / HTTP/1.x\r\n\r\n'), { status: 400, code: 'WS_ERR_INVALID_REQUEST' });
  assert.deepEqual(refusal('GET / HTTP/1.1 \r\n\r\n'), { status: 400, code: 'WS_ERR_INVALID_REQUEST' });
  assert.deepEqual(refusal('GET / HTTP/1.10\r\n\r\n'), { status: 400, code: 'WS_ERR_INVALID_REQUEST' });
});

test('strict RFC 9112 syntax: every smuggling and malformed shape is refused with 400 WS_ERR_INVALID_REQUEST', () => {
  const cases: Record<string, string> = {
    'bare LF after the request line': 'GET / HTTP/1.1\nHost: a\r\n\r\n',
    'bare LF after a header': 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n',
    'bare LF as the blank line': 'GET / HTTP/1.1\r\nHost: a\r\n\n',
    'bare CR in a value': 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n',
    'bare CR at the end': 'GET / HTTP/1.1\r\nHost: a\r\n\rX',
    'obs-fold with SP': 'GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n',
    'obs-fold with HTAB': 'GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n\r\n',
    'SP before the colon': 'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
    'HTAB before the colon': 'GET / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n',
    'empty name': 'GET / HTTP/1.1\r\n: a\r\n\r\n',
    'name not a token': 'GET / HTTP/1.1\r\nHo(st: a\r\n\r\n',
    'no colon': 'GET / HTTP/1.1\r\nHost\r\n\r\n',
    'NUL in a value': 'GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n',
    'DEL in a value': 'GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n',
    'CTL in a value': 'GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n',
    'NUL in the target': 'GET /a\0b HTTP/1.1\r\n\r\n',
    'obs-text in the target': 'GET /caf\xe9 HTTP/1.1\r\n\r\n',
    'two spaces after the method': 'GET  / HTTP/1.1\r\n\r\n',
    'method not a token': 'G(T / HTTP/1.1\r\n\r\n',
    'leading space': ' GET / HTTP/1.1\r\n\r\n',
    'no version': 'GET /\r\n\r\n',
    'HTTP/0.9 style': 'GET / \r\n\r\n',
  };
  for (const [name, text] of Object.entries(cases)) {
    assert.deepEqual(refusal(text), { status: 400, code: 'WS_ERR_INVALID_REQUEST' }, name);
  }
});

test('obs-text in a header value is kept as latin1 (RFC 9110 §5.5 allows it)', () => {
  const r = parseAll('GET / HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n');
  assert.ok(r !== null && r.kind === 'head');
  assert.equal(r.head.headers['x-name'], 'caf\xe9');
});

test('an absolute-form target is passed through as sent (the server routes it as node:http would)', () => {
  const r = parseAll('GET http://example.com/ws HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.ok(r !== null && r.kind === 'head');
  assert.equal(r.head.url, 'http://example.com/ws');
});

test('body framing: both CL and TE, two CLs or a bad CL are refused; on an upgrade any body is', () => {
  const framing = (extra: string, upgrade: boolean) => {
    const r = parseAll(`GET / HTTP/1.1\r\nHost: a\r\n${extra}\r\n`);
    assert.ok(r !== null && r.kind === 'head');
    return r.head.framingRefusal(upgrade)?.status ?? null;
  };
  assert.equal(framing('Content-Length: 0\r\n', true), null);
  assert.equal(framing('', true), null);
  assert.equal(framing('Content-Length: 5\r\n', false), null);
  assert.equal(framing('Transfer-Encoding: chunked\r\n', false), null);
  assert.equal(framing('Content-Length: 5\r\n', true), 400);
  assert.equal(framing('Transfer-Encoding: chunked\r\n', true), 400);
  assert.equal(framing('Content-Length: 0\r\nTransfer-Encoding: chunked\r\n', false), 400);
  assert.equal(framing('Content-Length: 0\r\nContent-Length: 0\r\n', false), 400);
  assert.equal(framing('Content-Length: -1\r\n', false), 400);
  assert.equal(framing('Content-Length: 1, 1\r\n', false), 400);
});

test('limits: a head over maxHeadBytes or with more than maxHeaders lines is refused with 431 before it ends', () => {
  assert.equal(REQUEST_HEAD_LIMITS.maxHeadBytes, 16 * 1024);
  const big = `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(17 * 1024)}`;
  assert.deepEqual(refusal(big), { status: 431, code: 'WS_ERR_REQUEST_HEAD_TOO_LARGE' });
  const many = `GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(REQUEST_HEAD_LIMITS.maxHeaders + 1)}`;
  assert.deepEqual(refusal(many), { status: 431, code: 'WS_ERR_REQUEST_HEAD_TOO_LARGE' });
  const atLimit = parseAll(`GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(REQUEST_HEAD_LIMITS.maxHeaders)}\r\n`);
  assert.equal(atLimit?.kind, 'head');
  // A head of exactly maxHeadBytes passes; one byte more does not.
  const exact = (n: number) => `GET / HTTP/1.1\r\nX: ${'a'.repeat(n - 23)}\r\n\r\n`;
  assert.equal(exact(100).length, 100);
  assert.equal(parseAll(exact(100), { maxHeadBytes: 100 })?.kind, 'head');
  assert.deepEqual(refusal(exact(101), { maxHeadBytes: 100 }), { status: 431, code: 'WS_ERR_REQUEST_HEAD_TOO_LARGE' });
  // Trickled a byte at a time, the limit holds and the parser keeps at most that many bytes.
  const parser = new RequestHeadParser({ maxHeadBytes: 100 });
  let result: RequestHeadResult | null = null;
  for (const b of bytes(exact(150))) {
    result = parser.push(Uint8Array.of(b));
    if (result !== null) break;
    assert.ok(parser.bufferedBytes < 100);
  }
  assert.equal(result?.kind, 'refused');
});

test('need more: an incomplete head returns null, and the parser refuses use after its result', () => {
  const parser = new RequestHeadParser();
  assert.equal(parser.push(bytes('GET / HTTP/1.1\r\nHost: a\r\n')), null);
  assert.equal(parser.push(bytes('\r')), null);
  assert.equal(parser.push(bytes('\n'))?.kind, 'head');
  assert.throws(() => parser.push(bytes('x')), /already returned/);
  assert.throws(() => new RequestHeadParser({ maxHeaders: -1 }), RangeError);
});

test('property: any split of a valid head (a byte at a time included) gives the same result as one chunk', () => {
  const arbHead = fc
    .record({
      path: fc.stringMatching(/^\/[a-z0-9/?=&]{0,20}$/),
      extra: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/), fc.stringMatching(/^[ -~]{0,30}$/)), {
        maxLength: 8,
      }),
      rest: fc.uint8Array({ maxLength: 20 }),
    })
    .map(({ path, extra, rest }) => {
      const text = `GET ${path} HTTP/1.1\r\n${extra.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${UPGRADE.slice(UPGRADE.indexOf('\r\n') + 2)}`;
      const all = new Uint8Array(text.length + rest.length);
      all.set(bytes(text), 0);
      all.set(rest, text.length);
      return all;
    });
  fc.assert(
    fc.property(arbHead, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 50 }), (all, sizes) => {
      const whole = summary(new RequestHeadParser().push(all));
      const parser = new RequestHeadParser();
      let result: RequestHeadResult | null = null;
      let at = 0;
      let i = 0;
      while (result === null && at < all.length) {
        const size = sizes[i++ % sizes.length]!;
        result = parser.push(all.slice(at, at + size));
        at += size;
      }
      // The rest in the split case is what followed the head in the last chunk; add the chunks never pushed.
      if (result !== null && result.kind === 'head') {
        const rest = new Uint8Array(result.rest.length + Math.max(0, all.length - at));
        rest.set(result.rest, 0);
        rest.set(all.subarray(Math.min(at, all.length)), result.rest.length);
        result = { ...result, rest };
      }
      assert.deepEqual(summary(result), whole);
    }),
    { numRuns: 500 },
  );
});

test('property: random mutations of a head never throw and end in a head, a refusal or need-more within the limits', () => {
  const base = bytes(UPGRADE);
  const mutation = fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('del' as const), at: fc.nat() }),
      fc.record({
        op: fc.constant('ins' as const),
        at: fc.nat(),
        byte: fc.constantFrom(0, 9, 10, 13, 32, 58, 0x7f, 0xff),
      }),
    ),
    { minLength: 1, maxLength: 6 },
  );
  fc.assert(
    fc.property(mutation, fc.integer({ min: 1, max: 64 }), (ops, chunk) => {
      const arr = Array.from(base);
      for (const m of ops) {
        const at = m.at % (arr.length + 1);
        if (m.op === 'set') arr[Math.min(at, arr.length - 1)] = m.byte;
        else if (m.op === 'del') arr.splice(at, 1);
        else arr.splice(at, 0, m.byte);
      }
      const input = Uint8Array.from(arr);
      const parser = new RequestHeadParser();
      let result: RequestHeadResult | null = null;
      for (let at = 0; at < input.length && result === null; at += chunk)
        result = parser.push(input.subarray(at, at + chunk));
      if (result === null) return; // need more: a mutated blank line
      if (result.kind === 'refused') {
        assert.ok([400, 431].includes(result.status));
        assert.ok(!result.reason.includes('\0'));
        return;
      }
      // A head that parsed reads back without throwing, and its maps agree with each other.
      const h = result.head;
      assert.equal(h.rawHeaders.length, h.headerCount * 2);
      void h.headers;
      void h.headersDistinct;
      void h.upgradeHeaders();
      void h.wantsUpgrade;
      void h.framingRefusal(true);
    }),
    { numRuns: 2000 },
  );
});

test('property: random bytes never throw, and a trickled flood stays within maxHeadBytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 100 }), (input, chunk) => {
      const parser = new RequestHeadParser({ maxHeadBytes: 256 });
      let result: RequestHeadResult | null = null;
      for (let at = 0; at < input.length && result === null; at += chunk) {
        result = parser.push(input.subarray(at, at + chunk));
        assert.ok(parser.bufferedBytes < 256 + chunk);
      }
      if (result === null) assert.ok(input.length < 256);
    }),
    { numRuns: 2000 },
  );
});
