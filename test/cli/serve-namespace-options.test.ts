// `switchboard serve` with the namespace and auth options of this release: a payload schema read from a file and
// enforced over /ws and the HTTP API, per-connection counts in the close log line, and the startup refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEV_API_KEY, loadConfig, namespaceConfigsFrom } from '../../src/cli/config.ts';
import { openRaw } from '../helpers/realtime.ts';
import { spawnServe } from '../helpers/cli-fixtures.ts';

const SCHEMA = {
  type: 'object',
  properties: { text: { type: 'string', maxLength: 20 } },
  required: ['text'],
  additionalProperties: false,
};

function tempDir(t: { after(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-schema-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `serve --dev` with extra environment; `started`: the port once listening, or the exit code and stderr. */
function serve(env: Record<string, string>, args: string[] = []) {
  return spawnServe(['--dev', '--port', '0', '--log-level', 'info', ...args], env);
}

test('serve enforces namespaces.chat.payloadSchemaFile over /ws and the API, and logs per-connection counts on close', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'chat.schema.json');
  writeFileSync(file, JSON.stringify(SCHEMA));
  // The user id in another claim: the dev token endpoint and the verifier both follow auth.userIdClaim.
  const s = serve({ SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA_FILE: file, SWITCHBOARD_AUTH__USER_ID_CLAIM: 'uid' });
  t.after(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  const started = await s.started;
  assert.ok('port' in started, JSON.stringify(started));
  const base = `http://127.0.0.1:${started.port}`;
  const { token } = (await (
    await fetch(`${base}/api/dev-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"user":"alice"}',
    })
  ).json()) as { token: string };
  const client = await openRaw(t, `ws://127.0.0.1:${started.port}/ws?token=${token}`, { headers: { Origin: base } });
  assert.equal(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())['uid'], 'alice');
  assert.equal((await client.request({ type: 'connect' }))['user'], 'alice');
  await client.request({ type: 'subscribe', channel: 'chat:general' });
  const bad = await client.request({
    type: 'publish',
    channel: 'chat:general',
    data: { text: 'x'.repeat(21) },
    id: 'a',
  });
  assert.deepEqual(
    [bad['code'], bad['message']],
    ['invalid_message', 'Cannot publish: data/text: must NOT have more than 20 characters (maxLength)'],
  );
  const good = await client.request({ type: 'publish', channel: 'chat:general', data: { text: 'hi' }, id: 'b' });
  assert.equal(good.type, 'reply');
  const api = await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': DEV_API_KEY },
    body: JSON.stringify({ channel: 'chat:general', data: { body: 'wrong shape' } }),
  });
  assert.equal(api.status, 400);
  assert.deepEqual(await api.json(), {
    error: 'invalid_message',
    message: "Cannot publish: data: must have required property 'text' (required)",
  });
  await client.next((m) => m.type === 'publication');
  client.close();
  await client.waitClose();
  const deadline = Date.now() + 5000;
  while (!s.stdout().includes('"connection_close"') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  const close = s
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"connection_close"'))
    .map((l) => JSON.parse(l) as Record<string, number>)[0];
  assert.ok(close !== undefined, 'a close line');
  // In: connect, subscribe, two publishes. Out: connected, subscribed, error, reply, publication.
  assert.deepEqual([close['messagesIn'], close['messagesOut']], [4, 5]);
  assert.ok(close['bytesIn']! > 100 && close['bytesOut']! > 100, JSON.stringify(close));
});

test('serve refuses a payload schema that does not compile, or an unreadable schema file, with exit code 2', async (t) => {
  const invalid = serve({ SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA: '{"type":"strin"}' });
  const refused = await invalid.started;
  assert.ok('code' in refused);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /switchboard serve: Cannot use chat\.payloadSchema: schema is invalid/);
  const missing = serve({ SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA_FILE: join(tempDir(t), 'none.json') });
  const refused2 = await missing.started;
  assert.ok('code' in refused2);
  assert.equal(refused2.code, 2);
  assert.match(refused2.stderr, /namespaces\.chat\.payloadSchemaFile/);
});

test('the config refuses payloadSchema with payloadSchemaFile, and a file that holds no JSON object', async (t) => {
  await assert.rejects(
    loadConfig({
      argv: ['--dev'],
      env: {
        SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA: '{"type":"object"}',
        SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA_FILE: 'x.json',
      },
    }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /namespaces\.chat\.payloadSchemaFile: set either payloadSchema or/.test(err.message),
  );
  await assert.rejects(
    loadConfig({ argv: ['--dev'], env: { SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA: '[1]' } }),
    (err: unknown) => err instanceof ConfigError && /namespaces\.chat\.payloadSchema/.test(err.message),
  );
  const dir = tempDir(t);
  for (const [name, text] of [
    ['array.json', '[]'],
    ['broken.json', '{"type":'],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const { config } = await loadConfig({
      argv: ['--dev'],
      env: { SWITCHBOARD_NAMESPACES__CHAT__PAYLOAD_SCHEMA_FILE: file },
    });
    await assert.rejects(namespaceConfigsFrom(config), (err: unknown) => {
      return err instanceof ConfigError && err.message.includes('namespaces.chat.payloadSchemaFile');
    });
  }
  const { config } = await loadConfig({
    argv: [
      '--dev',
      '--set',
      'auth.userIdClaim=user_id',
      '--set',
      'auth.requireExp=false',
      '--set',
      'limits.idleTimeoutMs=60000',
    ],
  });
  assert.deepEqual(
    [config.auth.userIdClaim, config.auth.requireExp, config.limits.idleTimeoutMs],
    ['user_id', false, 60000],
  );
  await assert.rejects(loadConfig({ argv: ['--dev', '--set', 'auth.userIdClaim='] }), /auth\.userIdClaim/);
});
