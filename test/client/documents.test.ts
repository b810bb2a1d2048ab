// The SDK's document provider (switchboard/documents) against the real server: providers converge, offline edits
// merge after a reconnect, a read-only user's edits are refused (and reported) and never reach the others, awareness
// comes and goes, and the core client carries the hook only.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { Client, ClientError } from '../../src/client/index.ts';
import { type DocumentProvider, type DocumentStatus, createDocumentProvider } from '../../src/client/documents.ts';
import { engineTransport, waitFor } from '../helpers/client-faults.ts';
import { startHub, type Hub } from '../helpers/realtime.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

const NAMESPACES = {
  doc: { document: true },
  // Everyone may read; only `editor` may change it.
  ro: { document: true, roles: { publish: ['editor'] } },
};
const RECONNECT = { minDelayMs: 50, maxDelayMs: 300, factor: 2 };

async function openClient(
  t: TestContext,
  hub: Hub,
  user: string,
  options: { port?: number; roles?: string[] } = {},
): Promise<Client> {
  const client = new Client({
    url: `ws://127.0.0.1:${options.port ?? hub.port}/ws`,
    transport: engineTransport,
    token: await hub.token(user, { roles: options.roles ?? [] }),
    reconnect: RECONNECT,
  });
  t.after(() => client.close());
  await client.connect();
  return client;
}

function open(t: TestContext, client: Client, channel: string): DocumentProvider {
  const provider = createDocumentProvider(client, channel);
  t.after(() => provider.destroy());
  return provider;
}

const text = (p: DocumentProvider): string => p.doc.getText('text').toString();

test('documents: two providers editing at once converge, with status and sync events', {
  timeout: 30_000,
}, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = open(t, await openClient(t, hub, 'alice'), 'doc:together');
  const statuses: DocumentStatus[] = [];
  alice.on('status', ({ status }) => statuses.push(status));
  const bob = open(t, await openClient(t, hub, 'bob'), 'doc:together');
  await waitFor(
    () => alice.synced && bob.synced,
    10_000,
    () => `(synced ${alice.synced} ${bob.synced})`,
  );
  assert.equal(alice.status, 'connected');
  assert.equal(bob.wsconnected, true);
  for (let i = 0; i < 30; i++) {
    alice.doc.getText('text').insert(0, 'a');
    bob.doc.getText('text').insert(bob.doc.getText('text').length, 'b');
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor(
    () => text(alice).length === 60 && text(alice) === text(bob),
    10_000,
    () => `(alice ${JSON.stringify(text(alice))}, bob ${JSON.stringify(text(bob))})`,
  );
  assert.equal(text(alice).replace(/b/g, ''), 'a'.repeat(30));
  // A late joiner gets the whole document.
  const carol = open(t, await openClient(t, hub, 'carol'), 'doc:together');
  await waitFor(
    () => carol.synced && text(carol) === text(alice),
    10_000,
    () => `(carol ${text(carol)})`,
  );
  assert.ok(statuses.includes('connected'));
});

test('documents: awareness states reach the others, and destroy removes them', { timeout: 30_000 }, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = open(t, await openClient(t, hub, 'alice'), 'doc:cursors');
  const bobClient = await openClient(t, hub, 'bob');
  const bob = createDocumentProvider(bobClient, 'doc:cursors');
  bob.awareness.setLocalStateField('user', { name: 'bob', color: '#1b998b' });
  alice.awareness.setLocalStateField('user', { name: 'alice', color: '#d7263d' });
  const names = (p: DocumentProvider): string[] =>
    [...p.awareness.getStates().values()].map((s) => (s['user'] as { name?: string } | undefined)?.name ?? '').sort();
  await waitFor(
    () => names(alice).join() === 'alice,bob' && names(bob).join() === 'alice,bob',
    10_000,
    () => `(alice sees ${names(alice)}, bob sees ${names(bob)})`,
  );
  bob.destroy();
  await waitFor(
    () => names(alice).join() === 'alice',
    10_000,
    () => `(alice sees ${names(alice)})`,
  );
  assert.equal(bob.status, 'disconnected');
});

test('documents: edits made offline on both sides merge after the reconnect', { timeout: 30_000 }, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const proxy = await startProxy(t, hub.port);
  const alice = open(t, await openClient(t, hub, 'alice'), 'doc:offline');
  const bobClient = await openClient(t, hub, 'bob', { port: proxy.port });
  const bob = open(t, bobClient, 'doc:offline');
  alice.doc.getText('text').insert(0, 'shared. ');
  await waitFor(
    () => bob.synced && text(bob) === 'shared. ',
    10_000,
    () => `(bob ${text(bob)})`,
  );

  proxy.refuse(true);
  proxy.cut();
  await waitFor(() => bob.status !== 'connected', 10_000);
  assert.equal(bob.synced, false);
  bob.doc.getText('text').insert(text(bob).length, 'bob offline. ');
  alice.doc.getText('text').insert(text(alice).length, 'alice meanwhile. ');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(text(bob).includes('alice meanwhile'), false, 'nothing crosses while cut');
  proxy.refuse(false);
  await waitFor(
    () => bob.synced && text(alice) === text(bob) && text(alice).includes('bob offline'),
    15_000,
    () => `(alice ${JSON.stringify(text(alice))}, bob ${JSON.stringify(text(bob))}, ${bob.status})`,
  );
  assert.ok(text(bob).includes('alice meanwhile. '));
  assert.ok(text(bob).startsWith('shared. '));
});

test('documents: a read-only user is told its edit was refused, and nobody else ever sees it', {
  timeout: 30_000,
}, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const editor = open(t, await openClient(t, hub, 'ed', { roles: ['editor'] }), 'ro:notice');
  const reader = open(t, await openClient(t, hub, 'rita'), 'ro:notice');
  const errors: { code: string; message: string }[] = [];
  reader.on('error', (e) => errors.push(e));
  editor.doc.getText('text').insert(0, 'official');
  await waitFor(
    () => reader.synced && text(reader) === 'official',
    10_000,
    () => `(reader ${text(reader)})`,
  );
  reader.doc.getText('text').insert(0, 'vandal ');
  await waitFor(
    () => errors.length > 0,
    10_000,
    () => '(no error event)',
  );
  assert.equal(errors[0]?.code, 'forbidden');
  editor.doc.getText('text').insert(text(editor).length, '!');
  await waitFor(() => text(reader).endsWith('!'), 10_000);
  // A fresh reader loads what the server holds.
  const late = open(t, await openClient(t, hub, 'late'), 'ro:notice');
  await waitFor(() => late.synced, 10_000);
  assert.equal(text(late), 'official!');
  assert.equal(text(editor), 'official!');
});

test('documents: a refused subscribe is an error event; one provider per channel and client', {
  timeout: 30_000,
}, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const client = await openClient(t, hub, 'alice');
  const errors: string[] = [];
  const nowhere = open(t, client, 'nowhere:thing');
  nowhere.on('error', (e) => errors.push(e.code));
  await waitFor(() => errors.length > 0, 10_000);
  assert.equal(nowhere.status, 'disconnected');
  open(t, client, 'doc:once');
  assert.throws(
    () => createDocumentProvider(client, 'doc:once'),
    (err: unknown) => err instanceof ClientError && err.code === 'invalid_message',
  );
  // client.document() is the same call, added by importing switchboard/documents.
  const other = client.document('doc:twice');
  t.after(() => other.destroy());
  await waitFor(() => other.synced, 10_000);
});

test('documents: a provider on a client that never connects keeps its edits and says disconnected', () => {
  const client = new Client({ url: 'ws://127.0.0.1:9/ws', transport: engineTransport });
  const provider = createDocumentProvider(client, 'doc:alone', { connect: false });
  provider.doc.getText('text').insert(0, 'kept');
  assert.equal(provider.status, 'disconnected');
  assert.equal(provider.synced, false);
  assert.equal(text(provider), 'kept');
  provider.destroy();
  provider.destroy();
  client.close();
  // Destroyed: the channel is free again.
  const again = createDocumentProvider(client, 'doc:alone', { connect: false });
  again.destroy();
});

test("documents: an offline edit of 100 KB (over the server's 32 KiB per update) reaches the others in parts", {
  timeout: 30_000,
}, async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = open(t, await openClient(t, hub, 'alice'), 'doc:large');
  const bob = open(t, await openClient(t, hub, 'bob'), 'doc:large');
  await waitFor(() => alice.synced && bob.synced, 10_000);
  alice.disconnect();
  await waitFor(() => alice.status === 'disconnected', 5000);
  const errors: string[] = [];
  alice.on('error', (e) => errors.push(e.code));
  const large = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
  alice.doc.getText('text').insert(0, large);
  assert.ok(Y.encodeStateAsUpdate(alice.doc).byteLength > 3 * 32_768);
  alice.connect();
  await waitFor(
    () => text(bob).length === 100_000,
    15_000,
    () => `(bob has ${text(bob).length} characters; errors ${errors.join(', ')})`,
  );
  assert.equal(text(bob), large);
  assert.deepEqual(errors, []);
});
