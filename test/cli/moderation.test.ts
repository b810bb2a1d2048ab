// `switchboard ban / unban / bans` as a user runs them: the real CLI process against a real server's HTTP API.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import { parseDuration } from '../../src/cli/moderation.ts';
import { createSwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces } from '../../src/realtime/index.ts';
import { runCli } from '../helpers/cli-fixtures.ts';
import { SECRET } from '../helpers/realtime.ts';

const API_KEY = 'cli-test-api-key-0123456789';

async function start(t: TestContext): Promise<string> {
  const broker = new MemoryBroker();
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces({ chat: {} }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    },
    apiKeys: [API_KEY],
    webRoot: null,
  });
  const address = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    await broker.close();
  });
  return `http://127.0.0.1:${address.port}`;
}

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(['--import', 'tsx', 'src/cli/main.ts', ...args], {
    ...process.env,
    NODE_OPTIONS: '',
    SWITCHBOARD_URL: '',
    SWITCHBOARD_API_KEY: '',
    ...env,
  });
}

test('ban, bans and unban manage a ban through the API, with the key from the flag or the environment', async (t) => {
  const url = await start(t);
  const banned = await cli([
    'ban',
    'mallory',
    '--duration',
    '1h',
    '--reason',
    'spam',
    '--url',
    url,
    '--api-key',
    API_KEY,
  ]);
  assert.equal(banned.code, 0, banned.err);
  assert.match(banned.out, /^banned mallory until \d{4}-\d\d-\d\dT.*\(spam\)/);
  const env = { SWITCHBOARD_URL: url, SWITCHBOARD_API_KEY: API_KEY };
  const listed = await cli(['bans', '--json'], env);
  assert.equal(listed.code, 0, listed.err);
  const bans = (JSON.parse(listed.out) as { bans: { user: string; until: number; reason: string }[] }).bans;
  assert.deepEqual(
    bans.map((b) => [b.user, b.reason]),
    [['mallory', 'spam']],
  );
  assert.ok(Math.abs(bans[0]!.until - Date.now() - 3_600_000) < 60_000);
  const unbanned = await cli(['unban', 'mallory'], env);
  assert.deepEqual([unbanned.code, unbanned.out], [0, 'unbanned mallory\n']);
  assert.deepEqual([(await cli(['bans'], env)).out], ['no bans\n']);
});

test('the moderation commands refuse bad usage with 2 and server refusals with 1, saying why', async (t) => {
  const url = await start(t);
  const env = { SWITCHBOARD_URL: url, SWITCHBOARD_API_KEY: API_KEY };
  for (const args of [
    ['ban', 'u'],
    ['ban', 'u', '--duration', '2y'],
    ['ban', 'u', '--duration', '400d'],
    ['ban', 'u', '--duration', '0s'],
    ['ban', '--duration', '1h'],
    ['bans', 'extra'],
    ['unban'],
  ]) {
    const r = await cli(args, env);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^switchboard (ban|bans|unban): /);
  }
  const noKey = await cli(['bans', '--url', url]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.err, /API key is required/);
  const wrongKey = await cli(['bans'], { ...env, SWITCHBOARD_API_KEY: 'wrong-key-0000000000' });
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.err, /HTTP 403 forbidden/);
  const badReason = await cli(['ban', 'u', '-d', '1h', '-r', 'r'.repeat(300)], env);
  assert.equal(badReason.code, 1);
  assert.match(badReason.err, /HTTP 400 invalid_message: Invalid reason/);
  const down = await cli(['bans', '--url', 'http://127.0.0.1:1'], env);
  assert.equal(down.code, 1);
  assert.match(down.err, /cannot reach/);
  const help = await cli(['ban', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--duration/);
});

test('durations read as seconds, minutes, hours, days or weeks, from one second to a year', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('2w'), 1_209_600_000);
  assert.equal(parseDuration('365d'), 31_536_000_000);
  for (const bad of ['366d', '0', '0s', '-1h', '1.5h', 'h', '', '1y', '1e3', '9999999999w'])
    assert.equal(parseDuration(bad), null, bad);
});
