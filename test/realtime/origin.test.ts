// Tests of src/realtime/origin.ts: docs/security-cases.md AU-01..AU-03 at the policy level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOriginPolicy, normalizeOrigin } from '../../src/realtime/origin.ts';

const policy = createOriginPolicy({ allowedOrigins: ['https://app.example.com', 'http://localhost:8080'] });

test('AU-01: only the exact allowed origin passes; look-alikes get 403 (RFC 6455 §4.2.2 /origin/)', () => {
  assert.deepEqual(policy.check('https://app.example.com', 'header'), { ok: true, origin: 'https://app.example.com' });
  for (const bad of [
    'https://app.example.com.evil.com',
    'https://evilapp.example.com',
    'https://sub.app.example.com',
    'http://app.example.com',
    'https://app.example.com:444',
    'https://app.example.com:443',
    'https://app.example.com/',
    'https://app.example.co',
    'https://app.example.comm',
    ' https://app.example.com',
    'https://app.example.com\u0000',
    'null',
    'http://localhost:8081',
    'http://127.0.0.1:8080',
    'ws://app.example.com',
  ]) {
    assert.deepEqual(policy.check(bad, 'header'), { ok: false, status: 403, reason: 'origin_not_allowed' }, bad);
  }
});

test('AU-01: the comparison is lower-cased, because the origin is serialized to ASCII and converted to lowercase (RFC 6455 §4.2.2)', () => {
  assert.deepEqual(policy.check('HTTPS://APP.EXAMPLE.COM', 'header'), { ok: true, origin: 'https://app.example.com' });
  assert.deepEqual(policy.check('https://App.Example.com', null), { ok: true, origin: 'https://app.example.com' });
});

test('AU-01: the null origin passes only when listed literally', () => {
  const withNull = createOriginPolicy({ allowedOrigins: ['null'] });
  assert.deepEqual(withNull.check('null', 'header'), { ok: true, origin: 'null' });
  assert.equal(withNull.check('https://app.example.com', 'header').ok, false);
});

test('AU-02: a missing Origin is allowed for token and anonymous clients, never with a cookie credential (RFC 6455 §4.2.1)', () => {
  assert.deepEqual(policy.check(undefined, 'header'), { ok: true, origin: null });
  assert.deepEqual(policy.check(undefined, 'query'), { ok: true, origin: null });
  assert.deepEqual(policy.check(undefined, null), { ok: true, origin: null });
  assert.deepEqual(policy.check(undefined, 'cookie'), { ok: false, status: 403, reason: 'origin_missing' });
  assert.deepEqual(policy.check('', 'cookie'), { ok: false, status: 403, reason: 'origin_missing' });
  const cookieOnly = createOriginPolicy({ allowedOrigins: ['https://app.example.com'], cookieOnly: true });
  assert.deepEqual(cookieOnly.check(undefined, null), { ok: false, status: 403, reason: 'origin_missing' });
  assert.deepEqual(cookieOnly.check(undefined, 'header'), { ok: false, status: 403, reason: 'origin_missing' });
});

test('AU-03: a session cookie with a foreign Origin is refused with 403', () => {
  assert.deepEqual(policy.check('https://evil.example.net', 'cookie'), {
    ok: false,
    status: 403,
    reason: 'origin_not_allowed',
  });
  assert.equal(policy.check('https://app.example.com', 'cookie').ok, true);
});

test('duplicated Origin headers are refused', () => {
  assert.deepEqual(policy.check(['https://app.example.com', 'https://evil.com'], 'header'), {
    ok: false,
    status: 403,
    reason: 'origin_invalid',
  });
});

test('an empty allowlist trusts no browser origin', () => {
  const none = createOriginPolicy();
  assert.equal(none.check('http://localhost:8080', null).ok, false);
  assert.equal(none.check(undefined, 'header').ok, true);
});

test('configured origins are normalised; non-origins and wildcards are refused at configuration', () => {
  assert.equal(normalizeOrigin('HTTPS://App.Example.com:443'), 'https://app.example.com');
  assert.equal(normalizeOrigin('http://localhost:8080/'), 'http://localhost:8080');
  assert.deepEqual(
    [...createOriginPolicy({ allowedOrigins: ['https://A.com', 'https://a.com:443'] }).allowed],
    ['https://a.com'],
  );
  for (const bad of [
    'app.example.com',
    'https://app.example.com/path',
    'https://*.example.com',
    'ftp://x.com',
    'https://a.com?x=1',
    'https://u:p@a.com',
    '*',
  ]) {
    assert.throws(() => normalizeOrigin(bad), TypeError, bad);
  }
});
