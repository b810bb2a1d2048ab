// Key files are read by the CLI, not the realtime layer: a JWKS file configured with auth.jwksFile verifies tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { authOptionsFrom, ConfigError, loadConfig } from '../../src/cli/config.ts';
import { parseJwks } from '../../src/cli/keys.ts';
import { createAuthenticator, signToken } from '../../src/realtime/index.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function withJwksFile(path: string): Promise<Awaited<ReturnType<typeof authOptionsFrom>>> {
  const { config } = await loadConfig({
    env: { SWITCHBOARD_ALLOW_PLAINTEXT: 'true', SWITCHBOARD_AUTH__JWKS_FILE: path },
  });
  return authOptionsFrom(config);
}

test('a JWKS file named by auth.jwksFile verifies RS256 and ES256 tokens and refuses a foreign key', async (t) => {
  const path = join(tempDir(t), 'jwks.json');
  writeFileSync(path, JSON.stringify({ keys: [await exportJWK(rsa.publicKey), await exportJWK(ec.publicKey)] }));
  const auth = await createAuthenticator(await withJwksFile(path));
  const pem = (key: typeof rsa.privateKey): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const bob = await auth.authenticate(
    await signToken({ sub: 'bob', ttlMs: 60_000 }, { type: 'pem', pem: pem(rsa.privateKey) }),
  );
  const carol = await auth.authenticate(
    await signToken({ sub: 'carol', ttlMs: 60_000 }, { type: 'pem', pem: pem(ec.privateKey) }),
  );
  assert.ok(bob.ok && bob.identity.user === 'bob');
  assert.ok(carol.ok && carol.identity.user === 'carol');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const eve = await auth.authenticate(
    await signToken({ sub: 'eve', ttlMs: 60_000 }, { type: 'pem', pem: pem(other.privateKey) }),
  );
  assert.ok(!eve.ok && eve.failure.code === 'invalid_token');
});

test('a missing JWKS file is a ConfigError naming auth.jwksFile', async (t) => {
  const err = await withJwksFile(join(tempDir(t), 'absent.json')).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
  assert.equal(err.issues[0]?.path, 'auth.jwksFile');
});

test('a JWKS file that is not JSON, not an object, or has no keys array is refused with the file named', async (t) => {
  const dir = tempDir(t);
  const cases: [string, RegExp][] = [
    ['{"keys": [', /jwks\.json": not JSON/],
    ['[]', /jwks\.json": not a JSON object/],
    ['null', /jwks\.json": not a JSON object/],
    ['{"keys": {}}', /jwks\.json": "keys" must be an array/],
  ];
  for (const [text, message] of cases) {
    const path = join(dir, 'jwks.json');
    writeFileSync(path, text);
    await assert.rejects(
      withJwksFile(path),
      (err: unknown) => err instanceof TypeError && message.test(err.message),
      text,
    );
    assert.throws(() => parseJwks(text, path), message, text);
  }
});

test('a JWKS file holding a private key is refused by the authenticator', async (t) => {
  const path = join(tempDir(t), 'jwks.json');
  writeFileSync(path, JSON.stringify({ keys: [await exportJWK(rsa.privateKey)] }));
  await assert.rejects(createAuthenticator(await withJwksFile(path)), /private key/);
});
