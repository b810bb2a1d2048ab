// `switchboard serve --dev` with collaborative documents: the dev `doc` namespace is a document namespace, a
// y-websocket WebsocketProvider at /yjs/<name> (through the HTTP server's upgrade routing) edits with a Switchboard
// client on /ws, and /health and /metrics count the document; a store that cannot be opened stops the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { openReplica } from '../helpers/doc-replica.ts';
import { openRaw } from '../helpers/realtime.ts';

function serve(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--dev', '--port', '0', '--log-level', 'warn'],
    { env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ port: number } | { code: number | null; stderr: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ code, stderr: err });
    });
  });
  return { child, started, exited };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('serve --dev: /yjs/<name> and /ws edit one document; /health and /metrics count it', async (t) => {
  const server = serve({});
  t.after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  const started = await server.started;
  assert.ok('port' in started, JSON.stringify(started));
  const { port } = started;

  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/yjs`, 'readme', doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    maxBackoffTime: 200,
  });
  t.after(() => {
    provider.destroy();
    doc.destroy();
  });
  await waitFor(() => provider.synced, 'the y-websocket provider synced (anonymous, as the dev config allows)');
  const client = await openRaw(t, `ws://127.0.0.1:${port}/ws`);
  assert.equal((await client.request({ type: 'connect' })).type, 'connected');
  const replica = await openReplica(client, 'doc:readme');
  t.after(() => replica.destroy());
  doc.getText('text').insert(0, 'from y-websocket; ');
  replica.insert(0, 'from switchboard; ');
  await waitFor(
    () => replica.text.length === 36 && replica.text === doc.getText('text').toString(),
    'both clients have the same text',
  );

  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
  assert.equal(health['documents'], 1);
  assert.equal(health['documentPeers'], 2);
  assert.ok(Number(health['documentUpdates']) >= 2);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(metrics, /^switchboard_documents_loaded 1$/m);
  assert.match(metrics, /^switchboard_document_peers 2$/m);
  assert.match(metrics, /^switchboard_document_updates_total [1-9]\d*$/m);
});

test('serve refuses to start when the configured document store cannot be opened', async () => {
  const server = serve({
    SWITCHBOARD_DOCUMENTS__STORE: 'postgres',
    SWITCHBOARD_DOCUMENTS__CONNECTION_STRING: 'postgres://127.0.0.1:1/none',
  });
  const started = await server.started;
  assert.ok('code' in started, 'it did not start');
  assert.notEqual(started.code, 0);
  assert.match(started.stderr, /document store/);
});
