// Tests of src/realtime/auth/: docs/security-cases.md 4.8 rows AU-04..AU-07 at the verifier level, plus token extraction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, createSign } from 'node:crypto';
import { exportJWK } from 'jose';
import { extractToken } from '../../src/realtime/auth/credentials.ts';
import { AUTH_FAILURE_REASONS, type AuthResult } from '../../src/realtime/auth/identity.ts';
import { signToken } from '../../src/realtime/auth/sign.ts';
import { createAuthenticator } from '../../src/realtime/auth/verify.ts';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const now = (): number => NOW;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaSpki = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rsaPkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const rsaPrivate = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecSpki = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPrivate = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** Builds an HS256 token by hand, so the test does not depend on the library it attacks. */
function forgeHs256(header: object, payload: object, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function failureOf(result: AuthResult): { code: string; reason: string } {
  assert.equal(result.ok, false, 'expected a failure');
  return result.ok ? { code: '', reason: '' } : { ...result.failure };
}

const exp = Math.floor(NOW / 1000) + 3600;

test('HS256: a token minted by signToken verifies into an identity', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  const token = await signToken(
    { sub: 'alice', roles: ['admin', 'user'], ttlMs: 3_600_000, info: { name: 'Alice' } },
    { type: 'secret', secret: SECRET },
    { now },
  );
  const result = await auth.authenticate(token);
  assert.ok(result.ok);
  assert.equal(result.identity.user, 'alice');
  assert.deepEqual(result.identity.roles, ['admin', 'user']);
  assert.deepEqual({ ...result.identity.info }, { name: 'Alice' });
  assert.equal(result.identity.expiresAt, NOW + 3_600_000);
  assert.equal(result.identity.anonymous, false);
});

test('RS256 from an SPKI PEM, a PKCS#1 PEM and a JWKS; ES256 from a PEM', async () => {
  const rsToken = await signToken({ sub: 'bob', ttlMs: 60_000 }, { type: 'pem', pem: rsaPrivate }, { now });
  const esToken = await signToken({ sub: 'carol', ttlMs: 60_000 }, { type: 'pem', pem: ecPrivate }, { now });
  for (const pem of [rsaSpki, rsaPkcs1]) {
    const auth = await createAuthenticator({ keys: [{ type: 'pem', pem }], now });
    const r = await auth.authenticate(rsToken);
    assert.ok(r.ok && r.identity.user === 'bob');
    assert.deepEqual(failureOf(await auth.authenticate(esToken)), { code: 'invalid_token', reason: 'alg_not_allowed' });
  }
  const ecAuth = await createAuthenticator({ keys: [{ type: 'pem', pem: ecSpki }], now });
  const e = await ecAuth.authenticate(esToken);
  assert.ok(e.ok && e.identity.user === 'carol');

  // A JWKS file is read by the CLI (test/cli/keys.test.ts); the authenticator takes the parsed set.
  const jwksAuth = await createAuthenticator({
    keys: [{ type: 'jwks', jwks: { keys: [await exportJWK(rsa.publicKey), await exportJWK(ec.publicKey)] } }],
    now,
  });
  const a = await jwksAuth.authenticate(rsToken);
  const b = await jwksAuth.authenticate(esToken);
  assert.ok(a.ok && a.identity.user === 'bob');
  assert.ok(b.ok && b.identity.user === 'carol');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = await signToken(
    { sub: 'eve', ttlMs: 60_000 },
    { type: 'pem', pem: other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    { now },
  );
  assert.equal(failureOf(await jwksAuth.authenticate(foreign)).code, 'invalid_token');
});

test('a JWKS holding two RSA keys without kid verifies tokens of either (key rotation)', async () => {
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const auth = await createAuthenticator({
    keys: [{ type: 'jwks', jwks: { keys: [await exportJWK(rsa.publicKey), await exportJWK(second.publicKey)] } }],
    now,
  });
  for (const pair of [rsa, second]) {
    const token = await signToken(
      { sub: 'rot', ttlMs: 60_000 },
      { type: 'pem', pem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
      { now },
    );
    const r = await auth.authenticate(token);
    assert.ok(r.ok, 'verified by one of the two keys');
  }
  const third = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = await signToken(
    { sub: 'eve', ttlMs: 60_000 },
    { type: 'pem', pem: third.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    { now },
  );
  assert.deepEqual(failureOf(await auth.authenticate(foreign)), { code: 'invalid_token', reason: 'bad_signature' });
  await assert.rejects(
    createAuthenticator({ keys: [{ type: 'jwks', jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }] }),
    TypeError,
  );
  await assert.rejects(
    createAuthenticator({ keys: [{ type: 'jwks', jwks: { keys: [await exportJWK(rsa.privateKey)] } }] }),
    TypeError,
  );
});

test('AU-04: no credential is missing_token unless anonymous access is configured', async () => {
  const closed = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  assert.equal(closed.allowsAnonymous, false);
  assert.deepEqual(failureOf(await closed.authenticate(null)), { code: 'missing_token', reason: 'missing' });
  assert.deepEqual(failureOf(await closed.authenticate('')), { code: 'missing_token', reason: 'missing' });
  const open = await createAuthenticator({ keys: [], anonymousRoles: ['anonymous'], now });
  const a = await open.authenticate(null);
  const b = await open.authenticate(null);
  assert.ok(a.ok && b.ok);
  assert.match(a.identity.user, /^anon-[0-9a-f]{32}$/, 'AU-13: 128-bit CSPRNG id');
  assert.notEqual(a.identity.user, b.identity.user);
  assert.deepEqual(a.identity.roles, ['anonymous']);
  assert.equal(a.identity.anonymous, true);
  assert.equal(a.identity.expiresAt, null);
});

test('AU-05: alg none with an empty signature is rejected', async () => {
  const auth = await createAuthenticator({
    keys: [
      { type: 'secret', secret: SECRET },
      { type: 'pem', pem: rsaSpki },
    ],
    now,
  });
  for (const alg of ['none', 'None', 'NONE']) {
    const token = `${b64url({ alg, typ: 'JWT' })}.${b64url({ sub: 'admin', exp, roles: ['admin'] })}.`;
    assert.deepEqual(failureOf(await auth.authenticate(token)), { code: 'invalid_token', reason: 'alg_not_allowed' });
  }
});

test('AU-06: HS256 signed with the server RSA public key is rejected, in both PEM forms', async () => {
  for (const [form, configured] of [
    ['spki', rsaSpki],
    ['pkcs1', rsaPkcs1],
  ] as const) {
    const auth = await createAuthenticator({ keys: [{ type: 'pem', pem: configured }], now });
    for (const secret of [rsaSpki, rsaPkcs1, rsaSpki.trim(), rsaPkcs1.trim()]) {
      const token = forgeHs256({ alg: 'HS256', typ: 'JWT' }, { sub: 'admin', exp, roles: ['admin'] }, secret);
      assert.deepEqual(
        failureOf(await auth.authenticate(token)),
        { code: 'invalid_token', reason: 'alg_not_allowed' },
        `configured ${form}`,
      );
    }
  }
  // And a PEM can never be configured as an HS256 secret, which would reopen the hole.
  await assert.rejects(createAuthenticator({ keys: [{ type: 'secret', secret: rsaSpki }] }), TypeError);
  await assert.rejects(createAuthenticator({ keys: [{ type: 'pem', pem: rsaPrivate }] }), TypeError);
});

test('AU-06: an RS256 header on an HS256-only server is rejected', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  const token = await signToken({ sub: 'bob', ttlMs: 60_000 }, { type: 'pem', pem: rsaPrivate }, { now });
  assert.deepEqual(failureOf(await auth.authenticate(token)), { code: 'invalid_token', reason: 'alg_not_allowed' });
});

test('RFC 7518 §3.2: an HS256 secret shorter than 32 bytes is refused at configuration', async () => {
  await assert.rejects(createAuthenticator({ keys: [{ type: 'secret', secret: 'short' }] }), RangeError);
  await assert.rejects(signToken({ sub: 'a', ttlMs: 1000 }, { type: 'secret', secret: 'short' }), RangeError);
  await assert.rejects(createAuthenticator({ keys: [] }), TypeError);
});

test('AU-07: bad claims each fail with a distinct reason', async () => {
  const auth = await createAuthenticator({
    keys: [{ type: 'secret', secret: SECRET }],
    audience: 'switchboard',
    issuer: 'https://id.example.com',
    now,
    clockToleranceMs: 5000,
  });
  const nowSec = Math.floor(NOW / 1000);
  const good = { sub: 'alice', exp, aud: 'switchboard', iss: 'https://id.example.com' };
  const sign = (p: object): string => forgeHs256({ alg: 'HS256', typ: 'JWT' }, p, SECRET);
  assert.ok((await auth.authenticate(sign(good))).ok);
  const cases: Array<[string, string, string]> = [
    [sign({ ...good, exp: nowSec - 60 }), 'token_expired', 'expired'],
    [sign({ ...good, nbf: nowSec + 60 }), 'invalid_token', 'not_yet_valid'],
    [sign({ ...good, aud: 'other' }), 'invalid_token', 'bad_audience'],
    [sign({ ...good, iss: 'https://evil.example.com' }), 'invalid_token', 'bad_issuer'],
    [sign({ ...good, sub: undefined }), 'invalid_token', 'missing_sub'],
    [sign({ ...good, sub: '' }), 'invalid_token', 'missing_sub'],
    [sign({ ...good, sub: 'a\nb' }), 'invalid_token', 'bad_sub'],
    [sign({ ...good, sub: 'x'.repeat(129) }), 'invalid_token', 'bad_sub'],
    [sign({ ...good, exp: undefined }), 'invalid_token', 'missing_exp'],
    [sign({ ...good, roles: [1] }), 'invalid_token', 'bad_roles'],
    [sign({ ...good, roles: { admin: true } }), 'invalid_token', 'bad_roles'],
    [sign({ ...good, info: 'text' }), 'invalid_token', 'bad_info'],
    [forgeHs256({ alg: 'HS256' }, good, 'another-secret-that-is-long-enough-000'), 'invalid_token', 'bad_signature'],
    ['e30.e30.!!!', 'invalid_token', 'malformed'],
    ['not-a-jwt', 'invalid_token', 'malformed'],
    [`${b64url('not json')}.${b64url(good)}.sig`, 'invalid_token', 'malformed'],
    [`${b64url({ alg: 'HS256' })}.${b64url('not json')}.${'A'.repeat(43)}`, 'invalid_token', 'bad_signature'],
    [`${b64url({ alg: 'HS256' })}.${b64url(good)}.${'A'.repeat(43)}=`, 'invalid_token', 'malformed'],
  ];
  const seen = new Set<string>();
  for (const [token, code, reason] of cases) {
    assert.deepEqual(failureOf(await auth.authenticate(token)), { code, reason }, `case ${reason}`);
    seen.add(reason);
    assert.ok(AUTH_FAILURE_REASONS.includes(reason as never), `${reason} is a listed reason`);
  }
  assert.equal(seen.size, 11, 'eleven distinct reasons');
});

test('AU-07: a payload that is not JSON but correctly signed is malformed', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  const input = `${b64url({ alg: 'HS256' })}.${b64url('not json')}`;
  const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
  assert.deepEqual(failureOf(await auth.authenticate(token)), { code: 'invalid_token', reason: 'malformed' });
});

test('exp and nbf honour the clock tolerance, and a token expires with the injected clock', async () => {
  let t = NOW;
  const auth = await createAuthenticator({
    keys: [{ type: 'secret', secret: SECRET }],
    now: () => t,
    clockToleranceMs: 5000,
  });
  const token = await signToken({ sub: 'alice', ttlMs: 10_000 }, { type: 'secret', secret: SECRET }, { now });
  t = NOW + 14_000;
  assert.ok((await auth.authenticate(token)).ok, 'inside tolerance');
  t = NOW + 16_000;
  assert.deepEqual(failureOf(await auth.authenticate(token)), { code: 'token_expired', reason: 'expired' });
  const nbf = forgeHs256({ alg: 'HS256' }, { sub: 'a', exp, nbf: Math.floor(NOW / 1000) + 3 }, SECRET);
  t = NOW;
  assert.ok((await auth.authenticate(nbf)).ok, 'nbf 3 s ahead is inside a 5 s tolerance');
});

test('AU-07: a 100 KB token is refused by size before decoding', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  const huge = forgeHs256({ alg: 'HS256' }, { sub: 'a', exp, pad: 'x'.repeat(100 * 1024) }, SECRET);
  assert.deepEqual(failureOf(await auth.authenticate(huge)), { code: 'invalid_token', reason: 'too_large' });
  // Not even valid base64url: proves nothing was decoded first.
  assert.deepEqual(failureOf(await auth.authenticate('%'.repeat(100 * 1024))), {
    code: 'invalid_token',
    reason: 'too_large',
  });
  const small = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now, maxTokenBytes: 100 });
  assert.equal(
    failureOf(
      await small.authenticate(
        await signToken({ sub: 'alice', ttlMs: 1000 }, { type: 'secret', secret: SECRET }, { now }),
      ),
    ).reason,
    'too_large',
  );
});

test('roles come from the configured claim, as a string or an array', async () => {
  const auth = await createAuthenticator({
    keys: [{ type: 'secret', secret: SECRET }],
    now,
    rolesClaim: 'https://example.com/roles',
  });
  const one = await auth.authenticate(
    forgeHs256({ alg: 'HS256' }, { sub: 'a', exp, 'https://example.com/roles': 'admin' }, SECRET),
  );
  const many = await auth.authenticate(
    forgeHs256({ alg: 'HS256' }, { sub: 'a', exp, 'https://example.com/roles': ['x', 'y', 'x'] }, SECRET),
  );
  const none = await auth.authenticate(forgeHs256({ alg: 'HS256' }, { sub: 'a', exp, roles: ['admin'] }, SECRET));
  assert.ok(one.ok && many.ok && none.ok);
  assert.deepEqual(one.identity.roles, ['admin']);
  assert.deepEqual(many.identity.roles, ['x', 'y']);
  assert.deepEqual(none.identity.roles, []);
});

test('the info claim cannot pollute prototypes', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], now });
  const payload = `{"sub":"a","exp":${exp},"info":{"__proto__":{"admin":true},"name":"A"}}`;
  const input = `${b64url({ alg: 'HS256' })}.${Buffer.from(payload).toString('base64url')}`;
  const token = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
  const r = await auth.authenticate(token);
  assert.ok(r.ok);
  assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  assert.equal(Object.getPrototypeOf(r.identity.info), null);
  assert.equal(r.identity.info?.['name'], 'A');
});

test('keys are selected by kid when both sides name one', async () => {
  const other = 'another-secret-that-is-long-enough-111';
  const auth = await createAuthenticator({
    keys: [
      { type: 'secret', secret: SECRET, kid: 'k1' },
      { type: 'secret', secret: other, kid: 'k2' },
    ],
    now,
  });
  const t2 = await signToken({ sub: 'a', ttlMs: 1000 }, { type: 'secret', secret: other, kid: 'k2' }, { now });
  assert.ok((await auth.authenticate(t2)).ok);
  const unknown = await signToken({ sub: 'a', ttlMs: 1000 }, { type: 'secret', secret: other, kid: 'k3' }, { now });
  assert.equal(failureOf(await auth.authenticate(unknown)).reason, 'no_matching_key');
  const noKid = await signToken({ sub: 'a', ttlMs: 1000 }, { type: 'secret', secret: other }, { now });
  assert.ok((await auth.authenticate(noKid)).ok, 'without kid every HS256 key is tried');
});

test('an RS256 signature over a different payload fails as bad_signature', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'pem', pem: rsaSpki }], now });
  const token = await signToken({ sub: 'bob', ttlMs: 60_000 }, { type: 'pem', pem: rsaPrivate }, { now });
  const [h, , s] = token.split('.');
  const tampered = `${h}.${b64url({ sub: 'admin', exp })}.${s}`;
  assert.deepEqual(failureOf(await auth.authenticate(tampered)), { code: 'invalid_token', reason: 'bad_signature' });
  const signer = createSign('RSA-SHA256');
  const input = `${b64url({ alg: 'RS256' })}.${b64url({ sub: 'x', exp })}`;
  signer.update(input);
  assert.ok((await auth.authenticate(`${input}.${signer.sign(rsa.privateKey).toString('base64url')}`)).ok);
});

test('signToken refuses a non-positive ttl and unsupported keys', async () => {
  await assert.rejects(signToken({ sub: 'a', ttlMs: 0 }, { type: 'secret', secret: SECRET }), RangeError);
  const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(signToken({ sub: 'a', ttlMs: 1000 }, { type: 'pem', pem: ed }), TypeError);
  await assert.rejects(signToken({ sub: 'a', ttlMs: 1000 }, { type: 'pem', pem: 'garbage' }), TypeError);
});

test('extractToken reads the Bearer header, then ?token=, then the configured cookie', () => {
  const headers = { authorization: 'Bearer aaa.bbb.ccc', cookie: 'sb_token=ck.ck.ck' };
  assert.deepEqual(extractToken({ headers, url: '/ws?token=q.q.q' }, { cookieName: 'sb_token' }), {
    token: 'aaa.bbb.ccc',
    source: 'header',
  });
  assert.deepEqual(
    extractToken({ headers: { cookie: headers.cookie }, url: '/ws?x=1&token=q.q.q' }, { cookieName: 'sb_token' }),
    { token: 'q.q.q', source: 'query' },
  );
  assert.deepEqual(
    extractToken({ headers: { cookie: 'a=b; sb_token="ck.ck.ck"' }, url: '/ws' }, { cookieName: 'sb_token' }),
    { token: 'ck.ck.ck', source: 'cookie' },
  );
  assert.equal(extractToken({ headers: { cookie: headers.cookie }, url: '/ws' }), null, 'cookies are opt-in');
  assert.equal(extractToken({ headers: {}, url: '/ws?token=q' }, { allowQuery: false }), null);
  assert.equal(extractToken({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, url: '/ws' }), null);
  assert.equal(extractToken({ headers: { authorization: 'Bearer ' }, url: '/ws?token=' }), null);
  assert.deepEqual(extractToken({ headers: { authorization: 'bearer   t.t.t ' } }), {
    token: 't.t.t',
    source: 'header',
  });
});

test('signToken refuses a sub or role that the verifier would refuse', async () => {
  await assert.rejects(signToken({ sub: 'a b', ttlMs: 1000 }, { type: 'secret', secret: SECRET }), RangeError);
  await assert.rejects(signToken({ sub: '', ttlMs: 1000 }, { type: 'secret', secret: SECRET }), RangeError);
  await assert.rejects(
    signToken({ sub: 'x'.repeat(129), ttlMs: 1000 }, { type: 'secret', secret: SECRET }),
    RangeError,
  );
  await assert.rejects(
    signToken({ sub: 'a', roles: ['bad role'], ttlMs: 1000 }, { type: 'secret', secret: SECRET }),
    RangeError,
  );
});
