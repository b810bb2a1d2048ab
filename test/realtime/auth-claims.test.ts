// The configurable user-id claim and `requireExp`: verifier cases with hand-forged tokens, and a real hub using them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createAuthenticator, type AuthResult } from '../../src/realtime/index.ts';
import { signToken } from '../../src/realtime/index.ts';
import { openRaw, SECRET, startHub } from '../helpers/realtime.ts';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An HS256 token built by hand, so any claim shape can be tried. */
function forge(payload: object): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

function outcome(result: AuthResult): string {
  return result.ok ? `ok:${result.identity.user}` : `${result.failure.code}:${result.failure.reason}`;
}

const exp = Math.floor(Date.now() / 1000) + 3600;

test('userIdClaim: the user id comes from the configured claim; missing or not a non-empty string is refused', async () => {
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], userIdClaim: 'user_id' });
  const cases: [object, string][] = [
    [{ user_id: 'alice', exp }, 'ok:alice'],
    [{ user_id: 'alice', sub: 'mallory', exp }, 'ok:alice'],
    [{ sub: 'alice', exp }, 'invalid_token:missing_sub'],
    [{ user_id: '', exp }, 'invalid_token:missing_sub'],
    [{ user_id: null, exp }, 'invalid_token:missing_sub'],
    [{ user_id: 42, exp }, 'invalid_token:bad_sub'],
    [{ user_id: ['alice'], exp }, 'invalid_token:bad_sub'],
    [{ user_id: { id: 'alice' }, exp }, 'invalid_token:bad_sub'],
    [{ user_id: 'a b', exp }, 'invalid_token:bad_sub'],
    [{ user_id: 'x'.repeat(129), exp }, 'invalid_token:bad_sub'],
  ];
  for (const [payload, expected] of cases)
    assert.equal(outcome(await auth.authenticate(forge(payload))), expected, JSON.stringify(payload).slice(0, 80));
  const byDefault = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] });
  assert.equal(outcome(await byDefault.authenticate(forge({ user_id: 'alice', exp }))), 'invalid_token:missing_sub');
  assert.equal(outcome(await byDefault.authenticate(forge({ sub: 'alice', exp }))), 'ok:alice');
  await assert.rejects(
    createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], userIdClaim: '' }),
    /userIdClaim must be a non-empty claim name/,
  );
});

test('signToken writes the user id into the configured claim, which the matching verifier reads', async () => {
  const key = { type: 'secret', secret: SECRET } as const;
  const token = await signToken({ sub: 'bob', ttlMs: 60_000 }, key, { userIdClaim: 'uid' });
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  assert.deepEqual([payload['uid'], payload['sub']], ['bob', undefined]);
  const auth = await createAuthenticator({ keys: [key], userIdClaim: 'uid' });
  assert.equal(outcome(await auth.authenticate(token)), 'ok:bob');
});

test('requireExp: false accepts a token without exp; the default refuses it', async () => {
  const strict = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] });
  const lax = await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }], requireExp: false });
  const forever = forge({ sub: 'alice' });
  assert.equal(outcome(await strict.authenticate(forever)), 'invalid_token:missing_exp');
  const result = await lax.authenticate(forever);
  assert.equal(outcome(result), 'ok:alice');
  assert.equal(result.ok && result.identity.expiresAt, null, 'no expiry timer for it');
});

test('a hub with userIdClaim: a token without the claim is refused with unauthorized and 4502', async (t) => {
  const authenticator = await createAuthenticator({
    keys: [{ type: 'secret', secret: SECRET }],
    userIdClaim: 'user_id',
  });
  const hub = await startHub(t, { authenticator });
  const good = await openRaw(t, hub.url);
  const connected = await good.request({ type: 'connect', token: forge({ user_id: 'carol', exp }) });
  assert.deepEqual([connected.type, connected['user']], ['connected', 'carol']);
  const bad = await openRaw(t, hub.url);
  const refused = await bad.request({ type: 'connect', token: forge({ sub: 'carol', exp }) });
  assert.deepEqual([refused.type, refused['code']], ['error', 'unauthorized']);
  assert.equal((await bad.waitClose()).code, 4502);
});
