// `switchboard serve --dev` with collaborative documents: the dev `doc` namespace is a document namespace, a
// y-websocket WebsocketProvider at /yjs/<name> (through the HTTP server's upgrade routing) edits with a Switchboard
// client on /ws, and /health and /metrics count the document; a store that cannot be opened stops the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { openReplica } from '../helpers/doc-replica.ts';
import { freshDocumentsDir } from '../helpers/documents-dir.ts';
import { openRaw } from '../helpers/realtime.ts';
import { spawnServe } from '../helpers/cli-fixtures.ts';

function serve(env: Record<string, string>) {
  return spawnServe(['--dev', '--port', '0', '--log-level', 'warn'], env);
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
  // Hibernated or not depends on how long the steps above took (documentHibernateMs, 3 s by default).
  assert.match(metrics, /^switchboard_documents_hibernated [01]$/m);
  assert.ok(health['documentsHibernated'] === 0 || health['documentsHibernated'] === 1);
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

test('serve --dev keeps documents in its data directory: every acknowledged update survives kill -9; a second serve on it is refused', async (t) => {
  const dir = freshDocumentsDir();
  const env = { SWITCHBOARD_DOCUMENTS__DIR: dir };
  const first = serve(env);
  t.after(() => first.child.kill('SIGKILL'));
  const started = await first.started;
  assert.ok('port' in started, JSON.stringify(started));
  const writer = await openRaw(t, `ws://127.0.0.1:${started.port}/ws`);
  await writer.request({ type: 'connect' });
  assert.equal((await writer.request({ type: 'subscribe', channel: 'doc:kept' })).type, 'subscribed');
  // Each update is sent with a rid; its empty reply means stored (fdatasync'd), so the kill below loses none of them.
  const source = new Y.Doc();
  const updates: Uint8Array[] = [];
  source.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < 30; i++) source.getText('text').insert(source.getText('text').length, `line ${i}\n`);
  for (const u of updates) {
    const reply = await writer.request({
      type: 'doc',
      channel: 'doc:kept',
      kind: 'update',
      data: Buffer.from(u).toString('base64'),
    });
    assert.equal(reply.type, 'reply', JSON.stringify(reply));
  }

  // The directory is locked: a second server on it stops at start, naming the first one's pid.
  const second = serve(env);
  const refused = await second.started;
  assert.ok('code' in refused, 'the second server did not start');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, new RegExp(`document store.*in use by process ${first.child.pid} `));

  first.child.kill('SIGKILL');
  await first.exited;
  const again = serve(env);
  t.after(async () => {
    again.child.kill('SIGTERM');
    await again.exited;
  });
  const restarted = await again.started;
  assert.ok('port' in restarted, JSON.stringify(restarted));
  const client = await openRaw(t, `ws://127.0.0.1:${restarted.port}/ws`);
  await client.request({ type: 'connect' });
  const after = await openReplica(client, 'doc:kept');
  t.after(() => after.destroy());
  assert.equal(after.text, source.getText('text').toString(), 'the restarted server loaded every acknowledged line');
});
