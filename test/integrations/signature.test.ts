// The Switchboard-Signature scheme: what a backend or webhook receiver in any language checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { signBody, verifySignature } from '../../src/integrations/index.ts';

const NOW_MS = 1_800_000_000_000;
const NOW_SEC = NOW_MS / 1000;

test('a signature is the hex HMAC-SHA256 of "t.body" (reproducible in any language)', () => {
  const header = signBody('s3cret', '{"a":1}', NOW_SEC);
  const expected = createHmac('sha256', 's3cret').update(`${NOW_SEC}.{"a":1}`).digest('hex');
  assert.equal(header, `t=${NOW_SEC},v1=${expected}`);
});

test('a secret given as a key object of its UTF-8 bytes signs exactly as the string does', () => {
  const secret = 'sécret-ünïcode-0123456789';
  const body = '{"request":"publish","data":{"text":"héllo"}}';
  assert.equal(
    signBody(createSecretKey(Buffer.from(secret, 'utf8')), body, 1_733_000_000),
    signBody(secret, body, 1_733_000_000),
  );
  assert.notEqual(
    signBody(createSecretKey(Buffer.from('other', 'utf8')), body, 1_733_000_000),
    signBody(secret, body, 1_733_000_000),
  );
});

test('a signed body verifies, with any of several secrets (rotation)', () => {
  const header = signBody('new', 'body', NOW_SEC);
  assert.deepEqual(verifySignature(['old', 'new'], header, 'body', { nowMs: NOW_MS }), {
    ok: true,
    timestampSec: NOW_SEC,
    signature: header.split('v1=')[1],
  });
  assert.equal(verifySignature('new', header, Buffer.from('body'), { nowMs: NOW_MS }).ok, true);
});

test('forged, stale, future, missing and malformed signatures are refused with their reason', () => {
  const header = signBody('s', 'body', NOW_SEC);
  const reason = (h: string | null, body = 'body', nowMs = NOW_MS): string | undefined => {
    const check = verifySignature('s', h, body, { nowMs });
    return check.ok ? undefined : check.reason;
  };
  assert.equal(reason(header, 'bodY'), 'mismatch');
  assert.equal(reason(signBody('other', 'body', NOW_SEC)), 'mismatch');
  assert.equal(reason(header, 'body', NOW_MS + 301_000), 'stale');
  assert.equal(reason(header, 'body', NOW_MS - 301_000), 'stale');
  assert.equal(reason(header, 'body', NOW_MS + 300_000), undefined);
  assert.equal(reason(null), 'missing');
  assert.equal(reason(''), 'missing');
  assert.equal(reason('t=abc,v1=00'), 'malformed');
  assert.equal(reason(`t=${NOW_SEC}`), 'malformed');
  assert.equal(reason(`v1=${'0'.repeat(64)}`), 'malformed');
  assert.equal(reason(`t=${NOW_SEC},t=${NOW_SEC},v1=${'0'.repeat(64)}`), 'malformed');
  assert.equal(reason(`t=${NOW_SEC},v1=${'0'.repeat(64)}`), 'mismatch');
  assert.equal(reason(`${header},v1=${'x'.repeat(2000)}`), 'malformed');
});

test('an unknown scheme beside v1 is ignored (migration to a later scheme)', () => {
  const header = `${signBody('s', 'b', NOW_SEC)},v2=abc`;
  assert.equal(verifySignature('s', header, 'b', { nowMs: NOW_MS }).ok, true);
});

test('property: only the exact body, secret and a timestamp within tolerance verify', () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.string({ minLength: 1 }),
      fc.string(),
      fc.integer({ min: -600, max: 600 }),
      (body, secret, other, skew) => {
        const header = signBody(secret, body, NOW_SEC + skew);
        const check = verifySignature(secret, header, body, { nowMs: NOW_MS });
        assert.equal(check.ok, Math.abs(skew) <= 300);
        if (other !== body) assert.equal(verifySignature(secret, header, other, { nowMs: NOW_MS }).ok, false);
      },
    ),
  );
});
