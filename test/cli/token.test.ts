// Tests of src/cli/token.ts: minting with the configured key, usage errors, durations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration, run } from '../../src/cli/token.ts';
import { createAuthenticator } from '../../src/realtime/index.ts';
import { authOptionsFrom, loadConfig } from '../../src/cli/config.ts';

const NOW = Date.UTC(2026, 0, 1);

async function mint(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } }, env, now: () => NOW });
  return { code, out, err };
}

test('switchboard token --dev mints a token the dev server accepts, with roles and ttl', async () => {
  const { code, out, err } = await mint(['--dev', '--sub', 'alice', '--role', 'admin', '--role', 'ops', '--ttl', '1h', '--info', '{"name":"Alice"}']);
  assert.equal(code, 0, err);
  assert.match(out, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const { config } = await loadConfig({ argv: ['--dev'] });
  const auth = await createAuthenticator({ ...(await authOptionsFrom(config)), now: () => NOW });
  const result = await auth.authenticate(out.trim());
  assert.ok(result.ok, 'the token verifies');
  assert.equal(result.identity.user, 'alice');
  assert.deepEqual(result.identity.roles, ['admin', 'ops']);
  assert.equal(result.identity.expiresAt, NOW + 3_600_000);
  assert.equal(result.identity.info?.['name'], 'Alice');
});

test('switchboard token signs RS256 with a configured private key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const env = { SWITCHBOARD_ALLOW_PLAINTEXT: 'true', SWITCHBOARD_AUTH__PUBLIC_KEY_FILE: join(dir, 'pub.pem') };
  const { code, out, err } = await mint(['--sub', 'bob', '--private-key-file', join(dir, 'priv.pem')], env);
  assert.equal(code, 0, err);
  assert.equal(JSON.parse(Buffer.from(out.split('.')[0]!, 'base64url').toString()).alg, 'RS256');
  const { config } = await loadConfig({ env });
  const auth = await createAuthenticator({ ...(await authOptionsFrom(config)), now: () => NOW });
  assert.ok((await auth.authenticate(out.trim())).ok, 'the server with the public key accepts it');
  const noKey = await mint(['--sub', 'bob'], env);
  assert.equal(noKey.code, 1);
  assert.match(noKey.err, /no signing key/);
});

test('usage errors: missing --sub, bad ttl, bad info, no config', async () => {
  assert.equal((await mint(['--dev'])).code, 2);
  assert.match((await mint(['--dev', '--sub', 'a', '--ttl', 'soon'])).err, /--ttl/);
  assert.equal((await mint(['--dev', '--sub', 'a', '--ttl', '0'])).code, 2);
  assert.equal((await mint(['--dev', '--sub', 'a', '--info', '[1]'])).code, 2);
  const bad = await mint(['--dev', '--sub', 'a b']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /sub/);
  const none = await mint(['--sub', 'a']);
  assert.equal(none.code, 1);
  assert.match(none.err, /--dev/);
  const help = await mint(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: switchboard token/);
  assert.equal(help.err, '');
});

test('parseDuration reads s, m, h, d, ms and bare seconds, up to a year', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('60'), 60_000);
  assert.equal(parseDuration('366d'), null);
  assert.equal(parseDuration('0s'), null);
  assert.equal(parseDuration('-1h'), null);
  assert.equal(parseDuration('1.5h'), null);
});
