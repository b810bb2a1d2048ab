// `switchboard serve` with the sse settings: the retry field follows sse.retryMs; a bad value stops serve at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { serveDev } from '../helpers/cli-fixtures.ts';
import { SseReader } from '../helpers/sse.ts';

test('serve --set sse.retryMs=1234: streams of /sse carry retry: 1234', async (t) => {
  const { url } = await serveDev(t, ['--set', 'sse.retryMs=1234']);
  const reader = await SseReader.open(
    `${url.replace(/^ws/, 'http').replace(/\/ws$/, '')}/sse?channel=chat:sse-setting`,
  );
  assert.ok(reader instanceof SseReader);
  t.after(() => reader.close());
  await reader.until((events) => events.some((e) => e.event === 'subscribed'));
  assert.equal(reader.retryMs, 1234);
});

test('serve --set sse.keepaliveMs=0 refuses to start (exit 2) and names the setting', () => {
  const result = spawnSync(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--dev', '--port', '0', '--set', 'sse.keepaliveMs=0'],
    { env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '' }, encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(result.status, 2);
  assert.match(result.stderr, /sse\.keepaliveMs/);
});
