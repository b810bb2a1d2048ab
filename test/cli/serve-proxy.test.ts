// `switchboard serve` with a `proxy` section, as a real process in front of the Python example backend: a client's
// publication is replaced by the backend, /health and /metrics show the proxy, the secret comes from
// SWITCHBOARD_PROXY_SECRET, and a bad proxy URL is a configuration error (exit 2) naming the setting.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadConfig } from '../../src/cli/config.ts';
import { proxyOptionsFrom } from '../../src/cli/proxy.ts';
import { startListening, startServe } from '../docs/server.ts';
import { openRaw } from '../helpers/realtime.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

const ROOT = process.cwd();
const SECRET = 'serve-proxy-test-secret';

test('serve with proxy settings: publications go through the backend; /health and /metrics show it', async (t) => {
  const backend = await startListening('python3', ['examples/proxy-backend/backend.py'], ROOT, {
    SWITCHBOARD_PROXY_SECRET: SECRET,
    PORT: '0',
  });
  t.after(() => backend.stop());
  const url = `${backend.httpUrl}/switchboard`;
  const server = await startServe(ROOT, ['--dev', '--port', '0', '--log-level', 'warn'], {
    SWITCHBOARD_PROXY__CONNECT: url,
    SWITCHBOARD_PROXY__PUBLISH: url,
    SWITCHBOARD_PROXY__RPC_PREFIXES__CHAT: url,
    SWITCHBOARD_PROXY_SECRET: SECRET,
    // A generous deadline: this test is about the wiring, on a machine that may be busy.
    SWITCHBOARD_PROXY__TIMEOUT_MS: '15000',
    // The development config's anonymous role does not include rpc.
    SWITCHBOARD_ROLES__ANONYMOUS: 'subscribe,publish,rpc',
  });
  t.after(() => server.stop());

  const client = await openRaw(t, server.wsUrl);
  const connected = await client.request({ type: 'connect' });
  assert.equal(connected.type, 'connected');
  assert.equal((await client.request({ type: 'subscribe', channel: 'chat:lobby' })).type, 'subscribed');
  const delivered = client.next((m) => m.type === 'publication');
  const ack = await client.request({ type: 'publish', channel: 'chat:lobby', data: { text: 'darn' }, id: 'p1' });
  assert.equal(ack.type, 'reply', JSON.stringify(ack));
  assert.deepEqual((await delivered)['data'], { text: '****', by: connected['user'] });
  const refused = await client.request({ type: 'publish', channel: 'chat:lobby', data: { text: '' }, id: 'p2' });
  assert.deepEqual([refused.type, refused['code']], ['error', 'invalid_message']);
  // rpc: only methods under "chat." are proxied; others are unknown.
  const shout = await client.request({ type: 'rpc', method: 'chat.shout', data: 'hey' });
  assert.deepEqual([shout.type, shout['data']], ['reply', { text: 'HEY' }], JSON.stringify(shout));
  assert.equal((await client.request({ type: 'rpc', method: 'time' }))['code'], 'not_found');

  const health = (await (await fetch(`${server.httpUrl}/health`)).json()) as {
    proxy: { endpoints: { url: string; kinds: string[]; breaker: string; failures: number }[] };
  };
  assert.deepEqual(
    health.proxy.endpoints.map((e) => [e.url, e.kinds, e.breaker, e.failures]),
    [[url, ['connect', 'rpc', 'publish'], 'closed', 0]],
    'signed with the secret from SWITCHBOARD_PROXY_SECRET: nothing failed',
  );
  const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
  assert.match(metrics, /switchboard_proxy_requests_total\{kind="publish",outcome="allowed"\} 1/);
  assert.match(metrics, /switchboard_proxy_requests_total\{kind="publish",outcome="refused"\} 1/);
  assert.match(metrics, /switchboard_proxy_breaker_state\{endpoint="[^"]+\/switchboard"\} 0/);
});

test('the proxy section: validated, null without endpoints, the file secret before SWITCHBOARD_PROXY_SECRET', async () => {
  const load = (env: Record<string, string>) => loadConfig({ argv: ['--dev'], env });
  const none = await load({});
  assert.equal(proxyOptionsFrom(none.config.proxy, {}), null, 'no endpoint: no proxy');
  const { config } = await load({
    SWITCHBOARD_PROXY__NAMESPACES__CHAT__SUBSCRIBE: 'http://127.0.0.1:9/s',
    SWITCHBOARD_PROXY__SECRET: 'a-secret-of-16-chars',
    SWITCHBOARD_PROXY__BREAKER__FAILURE_THRESHOLD: '2',
  });
  const options = proxyOptionsFrom(config.proxy, { SWITCHBOARD_PROXY_SECRET: 'the-other-secret' });
  assert.equal(options?.secret, 'a-secret-of-16-chars');
  assert.deepEqual(options?.namespaces, { chat: { subscribe: 'http://127.0.0.1:9/s' } });
  assert.deepEqual(options?.breaker, { failureThreshold: 2, resetAfterMs: 5000 });
  await assert.rejects(load({ SWITCHBOARD_PROXY__PUBLISH: 'ftp://x' }), /proxy\.publish.*http:\/\/ or https:\/\/ URL/s);
  await assert.rejects(load({ SWITCHBOARD_PROXY__SECRET: 'short' }), /proxy\.secret.*at least 16/s);
  await assert.rejects(load({ SWITCHBOARD_PROXY__TIMEOUT_MS: '0' }), /proxy\.timeoutMs/);

  const run = spawnSync(process.execPath, ['bin/switchboard.js', 'serve', '--dev', '--port', '0'], {
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_PROXY__CONNECT: 'not a url', ...documentsDirEnv() },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /proxy\.connect/);
});
