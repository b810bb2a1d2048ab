// `switchboard serve` with webhooks and an API secret from its configuration: a real process, a real receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiSignedPayload, signBody } from '../../src/integrations/index.ts';
import { startReceiver } from '../integrations/webhook-receiver.ts';
import { openRaw } from '../helpers/realtime.ts';
import { spawnServe } from '../helpers/cli-fixtures.ts';

const HOOK_SECRET = 'whsec-test-0123456789abcdef';
const API_SECRET = 'api-secret-0123456789abcdef';

function serve(config: unknown, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-webhooks-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const served = spawnServe(['--dev', '--port', '0', '--config', file], env);
  const stop = (): void => {
    if (served.child.exitCode === null) served.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...served, stop };
}

test('serve posts the configured events to the webhook, takes signed API calls, and flushes on SIGTERM', async (t) => {
  const receiver = await startReceiver(t, HOOK_SECRET);
  const s = serve(
    {
      namespaces: { chat: { webhookPublications: true } },
      webhooks: [
        {
          url: receiver.url,
          secretEnv: 'HOOK_SECRET',
          events: ['channelOccupied', 'channelVacated', 'publication'],
          maxWaitMs: 60_000,
        },
      ],
    },
    { HOOK_SECRET, SWITCHBOARD_API_SECRET: API_SECRET },
  );
  t.after(s.stop);
  const port = await s.port;
  const base = `http://127.0.0.1:${port}`;
  const { token } = (await (
    await fetch(`${base}/api/dev-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"user":"alice"}',
    })
  ).json()) as { token: string };
  const client = await openRaw(t, `ws://127.0.0.1:${port}/ws?token=${token}`, { headers: { Origin: base } });
  await client.request({ type: 'connect' });
  await client.request({ type: 'subscribe', channel: 'chat:hooks' });
  const body = JSON.stringify({ channel: 'chat:hooks', data: { text: 'signed' } });
  const api = await fetch(`${base}/api/publish`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Switchboard-Signature': signBody(API_SECRET, apiSignedPayload('POST', '/api/publish', body)),
    },
    body,
  });
  assert.equal(api.status, 200);
  const health = (await (await fetch(`${base}/health`)).json()) as { webhooks: { endpoints: { queued: number }[] } };
  assert.ok(health.webhooks.endpoints[0]!.queued >= 2, 'waiting for companions (maxWaitMs 60 s)');
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  const events = receiver.batches.flat().filter((e) => e['channel'] === 'chat:hooks');
  assert.deepEqual(
    events.map((e) => e.type),
    ['channelOccupied', 'publication', 'channelVacated'],
    'flushed at shutdown, the drain included',
  );
  assert.deepEqual(events[1]!['data'], { text: 'signed' });
});

test('serve refuses a bad webhook configuration with exit code 2 and names the field', async (t) => {
  const cases: [unknown, Record<string, string>, RegExp][] = [
    [{ webhooks: [{ url: 'ftp://x', secret: HOOK_SECRET, events: ['publication'] }] }, {}, /webhooks\[0\]\.url/],
    [{ webhooks: [{ url: 'http://x', secret: HOOK_SECRET, events: ['nope'] }] }, {}, /webhooks\[0\]\.events\[0\]/],
    [{ webhooks: [{ url: 'http://x', events: ['publication'] }] }, {}, /webhooks\[0\]\.secret/],
    [
      { webhooks: [{ url: 'http://x', secretEnv: 'UNSET_HOOK_SECRET_VAR', events: ['publication'] }] },
      {},
      /UNSET_HOOK_SECRET_VAR is unset/,
    ],
    [
      {
        webhooks: [
          { url: 'http://x', secret: HOOK_SECRET, events: ['publication'], initialBackoffMs: 10, maxBackoffMs: 5 },
        ],
      },
      {},
      /webhooks\[0\]: .*maxBackoffMs/,
    ],
    [{ apiSecret: 'short' }, {}, /apiSecret/],
  ];
  for (const [config, env, expected] of cases) {
    const s = serve(config, env);
    t.after(s.stop);
    assert.equal(await s.exited, 2, JSON.stringify(config));
    assert.match(s.stderr(), expected);
  }
});
