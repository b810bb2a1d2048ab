// Tests for src/protocol/handshake/headers.ts: reading Node-style header maps and writing header lines safely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import {
  formatExtraHeaders,
  listHeader,
  sanitizeHeaderValue,
  singleHeader,
  trimOws,
} from '../../../src/protocol/handshake/headers.ts';

test('trimOws strips only SP and HTAB at both ends (RFC 7230 §3.2.4)', () => {
  assert.equal(trimOws(' \t a b \t '), 'a b');
  assert.equal(trimOws('ab'), 'ab');
  assert.equal(trimOws('   '), '');
  assert.equal(trimOws('\r\na\n'), '\r\na\n');
});

test('singleHeader reads one line, trims it, and rejects repeated lines with the given status', () => {
  assert.equal(singleHeader({ a: ' x ' }, 'a', { status: 400 }), 'x');
  assert.equal(singleHeader({ a: [' x '] }, 'a', { status: 400 }), 'x');
  assert.equal(singleHeader({ a: [] }, 'a', { status: 400 }), undefined);
  assert.equal(singleHeader({}, 'a', { status: 400 }), undefined);
  assert.equal(singleHeader({ a: undefined }, 'a', { status: 400 }), undefined);
  assert.throws(
    () => singleHeader({ a: ['x', 'y'] }, 'a', { status: 101, code: 'WS_ERR_INVALID_ACCEPT' }),
    (e: unknown) =>
      e instanceof HandshakeError && e.status === 101 && e.code === 'WS_ERR_INVALID_ACCEPT' && !e.message.includes('y'),
  );
  assert.throws(
    () => singleHeader({ a: ['x', 'y'] }, 'a', { status: 400 }),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_DUPLICATE_HEADER',
  );
});

test('listHeader joins repeated lines with ", " (RFC 7230 §3.2.2) and ignores inherited properties', () => {
  assert.equal(listHeader({ a: ['x', 'y'] }, 'a'), 'x, y');
  assert.equal(listHeader({ a: 'x' }, 'a'), 'x');
  assert.equal(listHeader({ a: [] }, 'a'), undefined);
  assert.equal(listHeader(Object.create({ a: 'inherited' }) as Record<string, string>, 'a'), undefined);
  assert.equal(listHeader({}, 'constructor'), undefined);
  assert.equal(listHeader({}, '__proto__'), undefined);
  assert.throws(() => listHeader({ a: 1 } as unknown as Record<string, string>, 'a'), TypeError);
});

test('sanitizeHeaderValue removes CR, LF, NUL and other controls but keeps HTAB and text', () => {
  assert.equal(sanitizeHeaderValue('a\r\nb'), 'ab');
  assert.equal(sanitizeHeaderValue('\u0000a\u0007\tb\u007f'), 'a\tb');
  assert.equal(sanitizeHeaderValue('plain é'), 'plain é');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (s) => {
      const out = sanitizeHeaderValue(s);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the assertion is that no control character got out.
      assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f]/.test(out));
    }),
  );
});

test('formatExtraHeaders writes "Name: value" lines and refuses bad or reserved names', () => {
  const reserved = new Set(['connection']);
  assert.equal(formatExtraHeaders(undefined, reserved), '');
  assert.equal(formatExtraHeaders({ 'X-A': '1\r\n', 'X-B': '' }, reserved), 'X-A: 1\r\nX-B: \r\n');
  assert.throws(() => formatExtraHeaders({ Connection: 'x' }, reserved), TypeError);
  assert.throws(() => formatExtraHeaders({ 'X\r\nA': 'x' }, reserved), TypeError);
  assert.throws(() => formatExtraHeaders({ '': 'x' }, reserved), TypeError);
});
