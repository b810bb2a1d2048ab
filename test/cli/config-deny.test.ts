// The denyAddresses setting: from the file, --deny or SWITCHBOARD_DENY_ADDRESSES; a malformed entry is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ConfigError, loadConfig } from '../../src/cli/config.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

const BASE_ENV = { SWITCHBOARD_AUTH__HS256_SECRET: 'x'.repeat(32), SWITCHBOARD_ALLOW_PLAINTEXT: 'true' };

test('denyAddresses comes from --deny or SWITCHBOARD_DENY_ADDRESSES and is empty by default', async () => {
  const fromFlags = await loadConfig({ argv: ['--deny', '203.0.113.0/24', '--deny', '2001:db8::/32'], env: BASE_ENV });
  assert.deepEqual(fromFlags.config.denyAddresses, ['203.0.113.0/24', '2001:db8::/32']);
  const fromEnv = await loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_DENY_ADDRESSES: '198.51.100.7, 10.0.0.0/8' } });
  assert.deepEqual(fromEnv.config.denyAddresses, ['198.51.100.7', '10.0.0.0/8']);
  assert.deepEqual((await loadConfig({ env: BASE_ENV })).config.denyAddresses, []);
});

test('a malformed denyAddresses entry is named with its index and what is expected', async () => {
  let error: unknown;
  try {
    await loadConfig({ argv: ['--deny', '203.0.113.0/33', '--deny', 'evil.example'], env: BASE_ENV });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(
    error.issues.map((i) => i.path),
    ['denyAddresses[0]', 'denyAddresses[1]'],
  );
  assert.match(error.issues[0]!.message, /IP address or CIDR range to deny/);
});

test('serve refuses to start with a malformed denyAddresses entry: exit 2, the setting named', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--dev', '--port', '0', '--deny', '300.1.2.3'],
    { env: { ...process.env, NODE_OPTIONS: '', ...documentsDirEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 2);
  assert.match(err, /denyAddresses\[0\]/);
});
