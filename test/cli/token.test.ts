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

async function mint(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    stdout: {
      write: (s: string) => {
        out += s;
      },
    },
    stderr: {
      write: (s: string) => {
        err += s;
      },
    },
    env,
    now: () => NOW,
  });
  return { code, out, err };
}

test('switchboard token --dev mints a token the dev server accepts, with roles and ttl', async () => {
  const { code, out, err } = await mint([
    '--dev',
    '--sub',
    'alice',
    '--role',
    'admin',
    '--role',
    'ops',
    '--ttl',
    '1h',
    '--info',
    '{"name":"Alice"}',
  ]);
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

test('the real `switchboard token` without --dev signs with SWITCHBOARD_AUTH__HS256_SECRET alone: no TLS or other serving setting needed', async () => {
  const { spawnSync } = await import('node:child_process');
  const secret = 's'.repeat(40);
  const env = {
    PATH: process.env['PATH'] ?? '',
    NODE_OPTIONS: '',
    SWITCHBOARD_AUTH__HS256_SECRET: secret,
    SWITCHBOARD_TOKEN: 'a client token, ignored',
  };
  const r = spawnSync(process.execPath, ['bin/switchboard.js', 'token', '--sub', 'alice', '--role', 'admin'], {
    encoding: 'utf8',
    timeout: 20_000,
    env,
  });
  assert.equal(r.status, 0, r.stderr);
  const auth = await createAuthenticator({ keys: [{ type: 'secret', secret }] });
  const result = await auth.authenticate(r.stdout.trim());
  assert.ok(result.ok && result.identity.user === 'alice', 'a server with that secret accepts it');

  const none = spawnSync(process.execPath, ['bin/switchboard.js', 'token', '--sub', 'alice'], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: env.PATH, NODE_OPTIONS: '' },
  });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no signing key is configured/);
  assert.match(none.stderr, /SWITCHBOARD_AUTH__HS256_SECRET=/, 'names the variable to set');
  assert.match(none.stderr, /--set auth\.hs256Secret=/, 'and the flag');
  assert.match(none.stderr, /--private-key-file/);
  assert.doesNotMatch(none.stderr, /tls/i, 'no complaint about serving settings');

  const bad = spawnSync(process.execPath, ['bin/switchboard.js', 'token', '--sub', 'alice'], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...env, SWITCHBOARD_AUTH__HS256_SECRET: 'short' },
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /auth\.hs256Secret: expected at least 32 bytes .*\(from SWITCHBOARD_AUTH__HS256_SECRET\)/);
});
