// Documents, encoded and awake: a document keeps its content encoded (no Y.Doc), takes typing (updates that append,
// deletions) without waking, wakes into a Y.Doc for an update that leaves a gap or overlaps, and is encoded again after
// documentHibernateMs without one, peers connected or not. From outside it behaves the same either way: joiners sync from the encoded
// state (without waking it), compaction, unload, awareness, parked (pending) updates and the y-websocket endpoint all
// see the same document.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { MemoryBroker, MemoryDocumentStore, type StoredDocument } from '../../../src/broker/index.ts';
import type { LiveDocument } from '../../../src/realtime/documents/document.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type Hub } from '../../helpers/realtime.ts';

/** Long enough that no test's document hibernates by itself unless it asks to (they call `hibernate()`). */
const NEVER_BY_ITSELF = 600_000;

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The server's text read from its snapshot: reading `live.doc` would wake a hibernated document. */
function serverText(live: LiveDocument): string {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, live.snapshot());
  const text = doc.getText('text').toString();
  doc.destroy();
  return text;
}

function storedText(stored: StoredDocument): string {
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc.getText('text').toString();
}

async function hub(t: TestContext, options: Parameters<typeof startHub>[1] & { hibernateMs?: number } = {}) {
  const { hibernateMs = NEVER_BY_ITSELF, ...rest } = options;
  return startHub(t, {
    namespaces: { doc: { document: true, documentHibernateMs: hibernateMs, documentUpdatesPerSecond: 1000 } },
    ...rest,
  });
}

function loaded(h: Hub, name: string): LiveDocument {
  const live = h.hub.documents.get(name);
  assert.ok(live !== undefined, `${name} is loaded`);
  return live;
}

test('a quiet document hibernates with its peers connected; a joiner syncs without waking it; the next edit wakes it', async (t) => {
  const h = await hub(t, { hibernateMs: 100 });
  const alice = await openClient(t, h, 'alice');
  const a = await openReplica(alice, 'doc:quiet');
  t.after(() => a.destroy());
  a.insert(0, 'hello');
  await alice.request({ type: 'ping' });
  const live = loaded(h, 'doc:quiet');
  await waitFor(() => live.hibernated, 'hibernated after 100-200 ms without an update');
  assert.equal(h.hub.stats()['documentsHibernated'], 1);
  assert.equal(h.hub.stats()['documents'], 1);
  assert.equal(serverText(live), 'hello');

  const bob = await openClient(t, h, 'bob');
  const b = await openReplica(bob, 'doc:quiet');
  t.after(() => b.destroy());
  assert.equal(b.text, 'hello', 'the joiner got the text from the encoded state');
  b.sync();
  await bob.request({ type: 'ping' });
  assert.ok(live.hibernated, 'greeting a joiner and answering its sync1 did not wake the document');

  b.insert(5, ' world');
  await a.until(() => a.text === 'hello world', 5000, 'the edit after hibernation reached alice');
  // (Whether it is awake now depends on the machine's speed: 100 ms later it sleeps again.)
  assert.equal(serverText(live), 'hello world');
  await waitFor(() => live.hibernated, 'hibernated again');
  a.insert(0, '> ');
  await b.until(() => b.text === '> hello world', 5000, 'and again');
});

test('documentHibernateMs 0: a document never hibernates', async (t) => {
  const h = await hub(t, { hibernateMs: 0 });
  const alice = await openClient(t, h, 'alice');
  const a = await openReplica(alice, 'doc:awake');
  t.after(() => a.destroy());
  a.insert(0, 'x');
  await alice.request({ type: 'ping' });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(loaded(h, 'doc:awake').hibernated, false);
});

test('updates from another node reach the peers of an encoded document: typing keeps it encoded, a gap wakes it', async (t) => {
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const store = new MemoryDocumentStore();
  const one = await hub(t, { broker, documentStore: store });
  const two = await hub(t, { broker, documentStore: store });
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  const a = await openReplica(alice, 'doc:nodes');
  const b = await openReplica(bob, 'doc:nodes');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  a.insert(0, 'one');
  await b.until(() => b.text === 'one', 5000, 'crossed');
  const live = loaded(one, 'doc:nodes');
  live.hibernate();
  b.insert(3, ' two');
  await a.until(() => a.text === 'one two', 5000, 'the remote update reached the hibernated node’s peer');
  assert.equal(live.hibernated, true, 'an append needs no Y.Doc');
  assert.equal(serverText(live), 'one two');
  b.delete(0, 4);
  await a.until(() => a.text === 'two', 5000, 'the remote deletion reached it too');
  assert.equal(live.hibernated, true, 'nor does a deletion');
  assert.equal(serverText(live), 'two');
  // Two updates of a third author, the second sent first: it starts past what the document has of that author.
  const author = new Y.Doc();
  Y.applyUpdate(author, Y.encodeStateAsUpdate(b.doc));
  const updates: Uint8Array[] = [];
  author.on('update', (u: Uint8Array) => updates.push(u));
  author.getText('text').insert(3, '!');
  author.getText('text').insert(4, '?');
  b.send('update', updates[1]!);
  await waitFor(() => !live.hibernated, 'an update past a gap wakes it (Yjs parks it)');
  b.send('update', updates[0]!);
  await a.until(() => a.text === 'two!?', 5000, 'both, once the first came');
  assert.equal(serverText(live), 'two!?');
  author.destroy();
});

test('compaction and the size check while hibernated; an unloaded hibernated document loads from the store', async (t) => {
  const store = new MemoryDocumentStore();
  const h = await startHub(t, {
    namespaces: {
      doc: {
        document: true,
        documentHibernateMs: NEVER_BY_ITSELF,
        documentUpdatesPerSecond: 1000,
        documentCompactUpdates: 4,
        documentIdleUnloadMs: 100,
        documentMaxBytes: 600,
      },
    },
    documentStore: store,
  });
  const alice = await openClient(t, h, 'alice');
  const a = await openReplica(alice, 'doc:compact');
  t.after(() => a.destroy());
  const live = loaded(h, 'doc:compact');
  for (let i = 0; i < 6; i++) {
    a.insert(i, String(i));
    live.hibernate();
    await alice.request({ type: 'ping' });
  }
  await waitFor(async () => storedText(await store.load('doc:compact')) === '012345', 'stored');
  await live.writes;
  const stored = await store.load('doc:compact');
  assert.ok(stored.snapshot !== null, 'compacted');
  assert.ok(stored.updates.length < 4, `a short tail (${stored.updates.length})`);
  live.hibernate();
  // documentMaxBytes counts stored bytes, hibernated or not.
  a.insert(0, 'x'.repeat(700));
  await a.until(() => a.errors.some((e) => e['code'] === 'document_too_large'), 5000, 'too large');
  assert.equal(serverText(live), '012345');
  assert.ok(live.hibernated, 'a refused update does not wake it');

  await alice.request({ type: 'unsubscribe', channel: 'doc:compact' });
  await waitFor(() => h.hub.documents.get('doc:compact') === undefined, 'unloaded while hibernated');
  const bob = await openClient(t, h, 'bob');
  const b = await openReplica(bob, 'doc:compact');
  t.after(() => b.destroy());
  assert.equal(b.text, '012345', 'reloaded from the store');
});

test('an update parked for a missing dependency survives hibernation and integrates when the dependency arrives', async (t) => {
  const h = await hub(t);
  const alice = await openClient(t, h, 'alice');
  const bob = await openClient(t, h, 'bob');
  const a = await openReplica(alice, 'doc:pending');
  const b = await openReplica(bob, 'doc:pending');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  // Two updates of one client, made aside; the second depends on the first.
  const author = new Y.Doc();
  const updates: Uint8Array[] = [];
  author.on('update', (u: Uint8Array) => updates.push(u));
  author.getText('text').insert(0, 'first ');
  author.getText('text').insert(6, 'second');
  const [first, second] = updates as [Uint8Array, Uint8Array];
  a.online = false;
  a.send('update', second);
  await alice.request({ type: 'ping' });
  const live = loaded(h, 'doc:pending');
  assert.ok(live.doc.store.pendingStructs !== null, 'parked');
  live.hibernate();
  assert.ok(live.hibernated);
  // A joiner while hibernated gets the parked update too (it may integrate once the dependency comes).
  const carol = await openClient(t, h, 'carol');
  const c = await openReplica(carol, 'doc:pending');
  t.after(() => c.destroy());
  assert.equal(c.text, '');
  a.send('update', first);
  await b.until(() => b.text === 'first second', 5000, 'bob has both');
  await c.until(() => c.text === 'first second', 5000, 'carol has both');
  assert.equal(serverText(live), 'first second');
  assert.equal(live.doc.store.pendingStructs, null, 'nothing parked any more');
  author.destroy();
});

test('awareness works while hibernated and does not wake the document', async (t) => {
  const h = await hub(t);
  const alice = await openClient(t, h, 'alice');
  const a = await openReplica(alice, 'doc:cursors');
  t.after(() => a.destroy());
  a.insert(0, 'text');
  a.awareness.setLocalState({ user: { name: 'alice' } });
  const live = loaded(h, 'doc:cursors');
  await waitFor(() => live.awareness.states.size === 1, 'alice’s cursor on the server');
  live.hibernate();
  const bob = await openClient(t, h, 'bob');
  const b = await openReplica(bob, 'doc:cursors');
  t.after(() => b.destroy());
  await b.until(() => b.awareness.states.get(a.doc.clientID)?.['user']?.name === 'alice', 5000, 'cursor on join');
  a.awareness.setLocalState({ user: { name: 'alice' }, cursor: 2 });
  await b.until(() => b.awareness.states.get(a.doc.clientID)?.['cursor'] === 2, 5000, 'cursor moved');
  assert.ok(live.hibernated, 'cursors do not need the Y.Doc');
  alice.close();
  await b.until(() => !b.awareness.states.has(a.doc.clientID), 5000, 'cursor removed when alice left');
  assert.ok(live.hibernated);
});

test('the y-websocket endpoint syncs from an encoded document and types into it without waking it', async (t) => {
  const h = await startHub(t, {
    namespaces: { doc: { document: true, documentHibernateMs: NEVER_BY_ITSELF } },
    yjsNamespace: 'doc',
    anonymous: ['user'],
  });
  const providers: WebsocketProvider[] = [];
  const open = () => {
    const doc = new Y.Doc();
    const p = new WebsocketProvider(`ws://127.0.0.1:${h.port}/yjs`, 'readme', doc, {
      WebSocketPolyfill: WebSocket as never,
      disableBc: true,
      maxBackoffTime: 200,
    });
    providers.push(p);
    return p;
  };
  t.after(() => {
    for (const p of providers) {
      p.destroy();
      p.doc.destroy();
    }
  });
  const p = open();
  await waitFor(() => p.synced, 'first provider synced');
  p.doc.getText('text').insert(0, 'from yjs');
  const live = loaded(h, 'doc:readme');
  await waitFor(() => serverText(live) === 'from yjs', 'on the server');
  live.hibernate();
  const q = open();
  await waitFor(() => q.synced && q.doc.getText('text').toString() === 'from yjs', 'second provider synced');
  assert.ok(live.hibernated, 'syncing a provider did not wake it');
  q.doc.getText('text').insert(8, '!');
  await waitFor(() => p.doc.getText('text').toString() === 'from yjs!', 'the edit reached the first provider');
  assert.equal(live.hibernated, true, 'an append needs no Y.Doc');
  q.doc.getText('text').delete(0, 5);
  await waitFor(() => p.doc.getText('text').toString() === 'yjs!', 'the deletion reached the first provider');
  assert.equal(live.hibernated, true, 'nor does a deletion');
  assert.equal(serverText(live), 'yjs!');
});

test('a read-only joiner of a hibernated document is not refused and does not wake it', async (t) => {
  const h = await startHub(t, {
    namespaces: { doc: { document: true, documentHibernateMs: NEVER_BY_ITSELF, roles: { publish: ['editor'] } } },
  });
  const erin = await openClient(t, h, 'erin', { roles: ['editor'] });
  const e = await openReplica(erin, 'doc:ro');
  t.after(() => e.destroy());
  e.insert(0, 'read me, then delete this');
  e.delete(8, 17);
  await erin.request({ type: 'ping' });
  const live = loaded(h, 'doc:ro');
  live.hibernate();
  const viewer = await openClient(t, h, 'vic');
  const v = await openReplica(viewer, 'doc:ro');
  t.after(() => v.destroy());
  assert.equal(v.text, 'read me,');
  // What a viewer that already holds the document answers a sync1 with (a reconnect): no struct, every deletion.
  v.send('sync2', Y.encodeStateAsUpdate(v.doc, Y.encodeStateVector(v.doc)));
  await viewer.request({ type: 'ping' });
  assert.deepEqual(v.errors, [], 'its sync2 (same content, same deletions) is no attempt to write');
  assert.ok(live.hibernated, 'and was told from the encoded state');
  v.insert(0, 'vandal ');
  await v.until(() => v.errors.some((x) => x['code'] === 'forbidden'), 5000, 'a real write is refused');
  assert.equal(serverText(live), 'read me,');
});

test('a document woken by a read goes back to sleep after another quiet spell', async (t) => {
  const h = await hub(t, { hibernateMs: 100 });
  const alice = await openClient(t, h, 'alice');
  const a = await openReplica(alice, 'doc:reread');
  t.after(() => a.destroy());
  a.insert(0, 'x');
  await alice.request({ type: 'ping' });
  const live = loaded(h, 'doc:reread');
  await waitFor(() => live.hibernated, 'hibernated');
  assert.equal(live.doc.getText('text').toString(), 'x', 'woken by reading its Y.Doc');
  assert.equal(live.hibernated, false);
  await waitFor(() => live.hibernated, 'asleep again');
});
