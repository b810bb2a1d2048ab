// The README's "Running several nodes" recipe, run as written (bash, its own Redis, three `serve` nodes from
// examples/cluster/switchboard.json, nginx or HAProxy from deploy/), with free ports given through the variables the
// recipe reads; then a browser-like client (with the page's Origin) subscribes, publishes and receives through the proxy.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Client, type TransportFactory } from '../../src/client/index.ts';
import { createWebSocket } from '../../src/engine/index.ts';
import { freePort, httpStatus, waitFor } from '../cluster/harness/process.ts';
import { scratchDir } from '../cluster/harness/proxy.ts';
import { allFences } from './fences.ts';

const ROOT = process.cwd();
const SECRET = 'docs-cluster-recipe-secret-0123456789abcdef';
const API_KEY = 'docs-cluster-recipe-api-key';

function recipeBlock(name: string): string {
  const fence = allFences(ROOT).find((f) => f.mode === 'serve' && f.attributes['name'] === name);
  assert.ok(fence !== undefined, `no \`\`\`sh serve name=${name} block in README.md`);
  return fence.code;
}

function transportWithOrigin(origin: string): TransportFactory {
  return (url, protocols) => createWebSocket(url, { protocols: [...protocols], origin }) as never;
}

async function runRecipe(t: TestContext, proxy: 'cluster-nginx' | 'cluster-haproxy'): Promise<void> {
  const dir = scratchDir(t, 'docs-cluster');
  const [redisPort, proxyPort, statsPort, tlsPort, ...nodePorts] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    PATH: `${process.env['PATH'] ?? ''}:/usr/sbin:/usr/local/sbin:/sbin`,
    REDIS_PORT: String(redisPort),
    PROXY_PORT: String(proxyPort),
    STATS_PORT: String(statsPort),
    TLS_PORT: String(tlsPort),
    NODE_PORTS: nodePorts.join(' '),
    SB_RUN: dir,
    SWITCHBOARD_AUTH__HS256_SECRET: SECRET,
    SWITCHBOARD_API_KEYS: API_KEY,
  };
  const script = `${recipeBlock('cluster-nodes')}\n${recipeBlock(proxy)}`;
  // Its own process group, so Redis, the nodes and the proxy it starts in the background all stop with it.
  const shell = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  shell.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  shell.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
  t.after(async () => {
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-shell.pid!, sig);
      } catch {
        /* gone */
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5000);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 6000))]);
    clearTimeout(timer);
    kill('SIGKILL');
  });
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const logs = (): string =>
    `${output}\n${nodePorts.map((p) => spawnSync('tail', ['-n', '20', join(dir, `node-${p}.log`)], { encoding: 'utf8' }).stdout).join('\n')}`;
  for (const port of nodePorts) {
    await waitFor(
      `node ${port} ready`,
      async () => shell.exitCode === null && (await httpStatus(`http://127.0.0.1:${port}/ready`)) === 200,
      { timeoutMs: 40_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs()}`);
    });
  }
  await waitFor(`${proxy} ready`, async () => (await httpStatus(`${proxyUrl}/ready`)) === 200, {
    timeoutMs: 15_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${logs()}`);
  });

  // The chat page comes through the proxy.
  const page = await fetch(`${proxyUrl}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);

  // A named user with the token the README tells how to mint; an anonymous visitor (the page with an empty name).
  const minted = spawnSync(
    process.execPath,
    ['bin/switchboard.js', 'token', '--config', 'examples/cluster/switchboard.json', '--sub', 'alice'],
    { cwd: ROOT, env, encoding: 'utf8' },
  );
  assert.equal(minted.status, 0, minted.stderr);
  const token = minted.stdout.trim();
  const origin = proxyUrl;
  const alice = new Client({
    url: `ws://127.0.0.1:${proxyPort}/ws`,
    transport: transportWithOrigin(origin),
    token,
    reconnect: false,
  });
  const visitor = new Client({
    url: `ws://127.0.0.1:${proxyPort}/ws`,
    transport: transportWithOrigin(origin),
    reconnect: false,
  });
  t.after(() => {
    alice.close();
    visitor.close();
  });
  const connected = await alice.connect();
  assert.equal((connected as { user?: string }).user, 'alice');
  await visitor.connect();

  const received: unknown[] = [];
  const room = alice.subscription('chat:general');
  room.on('publication', (p) => received.push(p.data));
  await room.subscribe();
  const ack = await visitor.publish('chat:general', { text: `through ${proxy}` });
  assert.equal(ack.duplicate, false);
  const published = await fetch(`${proxyUrl}/api/publish`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'chat:general', data: { text: 'from a backend' } }),
  });
  assert.equal(published.status, 200, await published.text());
  await waitFor('both publications at alice', () => received.length >= 2, { timeoutMs: 10_000 });
  assert.deepEqual(received, [{ text: `through ${proxy}` }, { text: 'from a backend' }]);

  // A page from an origin the config does not list is refused at the upgrade.
  const stranger = new Client({
    url: `ws://127.0.0.1:${proxyPort}/ws`,
    transport: transportWithOrigin('http://elsewhere.example'),
    reconnect: false,
  });
  t.after(() => stranger.close());
  await assert.rejects(stranger.connect());
}

test('README cluster recipe with nginx: a client through the proxy subscribes, publishes and receives', {
  timeout: 110_000,
}, async (t) => {
  await runRecipe(t, 'cluster-nginx');
});

test('README cluster recipe with HAProxy: a client through the proxy subscribes, publishes and receives', {
  timeout: 110_000,
}, async (t) => {
  await runRecipe(t, 'cluster-haproxy');
});
