// `switchboard serve` with the feed settings: `deflate` (permessage-deflate on /ws, off by default) and the namespace
// rows `snapshot`, `conflate`, `batchPublications`; bad values refused at start naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, namespaceConfigsFrom } from '../../src/cli/config.ts';
import { connect } from '../../src/engine/index.ts';
import { spawnServe } from '../helpers/cli-fixtures.ts';

/** Runs `serve --dev` with extra environment; `started`: the port once listening, or the exit code and stderr. */
function serve(env: Record<string, string>, args: string[] = []) {
  return spawnServe(['--dev', '--port', '0', '--log-level', 'info', ...args], env);
}

/** What a production config needs besides the settings under test. */
const BASE_ENV = {
  SWITCHBOARD_AUTH__HS256_SECRET: 'test-secret-that-is-at-least-32-bytes-long!',
  SWITCHBOARD_ALLOW_PLAINTEXT: 'true',
};

async function extensionsOf(port: number): Promise<string> {
  const ws = await connect(`ws://127.0.0.1:${port}/ws`, {
    protocols: ['switchboard.v1.json'],
    perMessageDeflate: true,
  });
  const extensions = ws.extensions;
  ws.close();
  return extensions;
}

test('serve: deflate.enabled turns permessage-deflate on for /ws; by default an offer is declined', async (t) => {
  const on = serve({ SWITCHBOARD_DEFLATE__ENABLED: 'true', SWITCHBOARD_DEFLATE__THRESHOLD_BYTES: '256' });
  t.after(() => on.child.kill('SIGKILL'));
  const started = await on.started;
  assert.ok('port' in started, JSON.stringify(started));
  assert.match(await extensionsOf(started.port), /^permessage-deflate/);
  const off = serve({});
  t.after(() => off.child.kill('SIGKILL'));
  const plain = await off.started;
  assert.ok('port' in plain, JSON.stringify(plain));
  assert.equal(await extensionsOf(plain.port), '');
});

test('serve config: feed rows reach the namespace configuration; bad values name their field', async () => {
  const { config } = await loadConfig({
    env: {
      ...BASE_ENV,
      SWITCHBOARD_NAMESPACES__PRICES__SNAPSHOT: 'true',
      SWITCHBOARD_NAMESPACES__PRICES__SNAPSHOT_MAX_KEYS: '50',
      SWITCHBOARD_NAMESPACES__PRICES__CONFLATE: 'true',
      SWITCHBOARD_NAMESPACES__PRICES__BATCH_PUBLICATIONS: 'true',
      SWITCHBOARD_NAMESPACES__PRICES__BATCH_MAX_DELAY_MS: '5',
      SWITCHBOARD_NAMESPACES__PRICES__BATCH_MAX_COUNT: '16',
      SWITCHBOARD_DEFLATE__SERVER_NO_CONTEXT_TAKEOVER: 'true',
    },
  });
  const prices = (await namespaceConfigsFrom(config))['prices']!;
  assert.equal(prices.snapshot, true);
  assert.equal(prices.snapshotMaxKeys, 50);
  assert.equal(prices.conflate, true);
  assert.equal(prices.batchPublications, true);
  assert.equal(prices.batchMaxDelayMs, 5);
  assert.equal(prices.batchMaxCount, 16);
  assert.equal(config.deflate.enabled, false);
  assert.equal(config.deflate.serverNoContextTakeover, true);
  for (const [name, value, field] of [
    ['SWITCHBOARD_DEFLATE__SERVER_MAX_WINDOW_BITS', '20', 'deflate.serverMaxWindowBits'],
    ['SWITCHBOARD_DEFLATE__THRESHOLD_BYTES', '-1', 'deflate.thresholdBytes'],
    ['SWITCHBOARD_NAMESPACES__PRICES__SNAPSHOT_MAX_KEYS', '0', 'namespaces.prices.snapshotMaxKeys'],
    ['SWITCHBOARD_NAMESPACES__PRICES__BATCH_MAX_COUNT', '0', 'namespaces.prices.batchMaxCount'],
  ] as const) {
    await assert.rejects(
      loadConfig({ env: { ...BASE_ENV, [name]: value } }),
      (err: unknown) => err instanceof ConfigError && err.message.includes(field),
      `${name}=${value}`,
    );
  }
});
