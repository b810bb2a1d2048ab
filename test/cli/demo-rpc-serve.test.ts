// The demo RPC methods through a real `switchboard serve` process: registered with --dev (roll, who over the live
// presence, refusals as `error` replies that leave the session usable), absent in production mode.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaw, type TestClient } from '../helpers/realtime.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

/** Starts `serve` from source with `args`; resolves with the WebSocket URL; killed after the test. */
function serve(t: TestContext, args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--log-level', 'warn', ...args],
    {
      env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\(WebSocket (ws:\/\/127\.0\.0\.1:\d+\/ws)\)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve(m[1]!);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}`));
    });
  });
}

async function anonymous(t: TestContext, url: string): Promise<TestClient> {
  const client = await openRaw(t, url);
  const connected = await client.request({ type: 'connect' });
  assert.equal(connected['type'], 'connected');
  return client;
}

test('serve --dev: roll and who answer over the wire; bad input is an error reply and the session goes on', async (t) => {
  const url = await serve(t, ['--dev', '--port', '0']);
  const alice = await anonymous(t, url);
  const bob = await anonymous(t, url);
  for (const c of [alice, bob]) await c.request({ type: 'subscribe', channel: 'chat:general', presence: true });

  const rolled = await alice.request({ type: 'rpc', method: 'roll', data: { count: 3, sides: 8 } });
  assert.equal(rolled['type'], 'reply');
  const dice = rolled['data'] as { rolls: number[]; total: number; sides: number; count: number };
  assert.equal(dice.rolls.length, 3);
  assert.ok(dice.rolls.every((r) => r >= 1 && r <= 8));
  assert.equal(
    dice.total,
    dice.rolls.reduce((a, b) => a + b, 0),
  );

  const who = await alice.request({ type: 'rpc', method: 'who', data: { channel: 'chat:general' } });
  assert.equal(who['type'], 'reply');
  const present = who['data'] as { users: { user: string; connections: number }[]; total: number };
  assert.equal(present.total, 2);
  assert.deepEqual(
    present.users.map((u) => u.connections),
    [1, 1],
  );

  const bad = await alice.request({ type: 'rpc', method: 'roll', data: { count: 0, sides: 0 } });
  assert.equal(bad['type'], 'error');
  assert.equal(bad['code'], 'invalid_message');
  assert.match(String(bad['message']), /"sides" must be an integer from 2 to 1000/);

  const unknown = await alice.request({ type: 'rpc', method: 'who', data: { channel: 'nowhere:room' } });
  assert.equal(unknown['code'], 'not_found');
  const off = await alice.request({ type: 'rpc', method: 'who', data: { channel: 'feed:prices' } });
  assert.equal(off['code'], 'not_available');

  // The session is still usable after the refusals.
  const again = await alice.request({ type: 'rpc', method: 'roll' });
  assert.equal(again['type'], 'reply');
  assert.equal((again['data'] as { rolls: number[] }).rolls.length, 1);
});

test('serve in production mode registers no demo method: roll is not_found', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-demo-rpc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      mode: 'production',
      port: 0,
      allowPlaintext: true,
      auth: { hs256Secret: 'demo-rpc-test-secret-at-least-32-bytes!', anonymous: { enabled: true, roles: ['user'] } },
      namespaces: { chat: {} },
      log: { level: 'warn', pretty: false },
    }),
  );
  const url = await serve(t, ['--config', config]);
  const client = await anonymous(t, url);
  for (const method of ['roll', 'who']) {
    const answer = await client.request({ type: 'rpc', method, data: { channel: 'chat:general' } });
    assert.equal(answer['type'], 'error', method);
    assert.equal(answer['code'], 'not_found', method);
  }
});
