// Documents: Yjs sync over the Switchboard protocol. Raw clients (JSON and MessagePack) open one document, edit it
// at once and end with the same text, which the store holds too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub } from '../../helpers/realtime.ts';

const NAMESPACES = { doc: { document: true }, chat: {} };

/** The text a store holds for a document. */
async function storedText(store: MemoryDocumentStore, name: string): Promise<string> {
  const stored = await store.load(name);
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc.getText('text').toString();
}

test('two clients (JSON and MessagePack) editing one document at once converge, and the store holds the text', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, { namespaces: NAMESPACES, documentStore: store });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob', { protocols: ['switchboard.v1.msgpack'] });
  const a = await openReplica(alice, 'doc:readme');
  const b = await openReplica(bob, 'doc:readme');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  for (let i = 0; i < 20; i++) {
    a.insert(i, 'a');
    b.insert(0, 'b');
  }
  a.delete(3, 2);
  await a.until(() => a.text.length === 38 && a.text === b.text, 10_000, 'a converged');
  await b.until(() => a.text === b.text, 10_000, 'b converged');
  assert.equal(a.text.replace(/[^a]/g, '').length + a.text.replace(/[^b]/g, '').length, 38);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  await alice.request({ type: 'ping' });
  await bob.request({ type: 'ping' });
  assert.equal(await storedText(store, 'doc:readme'), a.text, 'the store holds the converged text');
});

test('a late joiner receives the whole document in its sync2', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:late');
  a.insert(0, 'hello world');
  await alice.request({ type: 'ping' });
  const carol = await openClient(t, hub, 'carol');
  const c = await openReplica(carol, 'doc:late');
  t.after(() => {
    a.destroy();
    c.destroy();
  });
  await c.until(() => c.text === 'hello world');
  assert.equal(hub.hub.stats()['documents'], 1);
});

test('edits made before the sync reach the server through the state vectors', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:offline');
  a.insert(0, 'server ');
  const bob = await openClient(t, hub, 'bob');
  const { DocReplica } = await import('../../helpers/doc-replica.ts');
  const b = new DocReplica(bob, 'doc:offline');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  b.online = false;
  b.insert(0, 'offline ');
  b.online = true;
  await bob.request({ type: 'subscribe', channel: 'doc:offline' });
  b.sync();
  await b.whenSynced();
  await a.until(() => a.text.includes('offline') && a.text.includes('server'), 10_000, 'offline edit reached alice');
  await b.until(() => b.text === a.text, 10_000, 'bob converged');
});

test('an update that arrives before the one it depends on is relayed and stored, and both apply once it comes', async (t) => {
  // The server hands on the bytes it applied; an update Yjs parks for a missing dependency must travel too, because
  // the update that brings the dependency does not repeat it.
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, { namespaces: NAMESPACES, documentStore: store });
  const writer = await openClient(t, hub, 'writer');
  const reader = await openReplica(await openClient(t, hub, 'reader'), 'doc:order');
  t.after(() => reader.destroy());
  const answer = await writer.request({ type: 'subscribe', channel: 'doc:order' }, 10_000);
  assert.equal(answer.type, 'subscribed');
  const source = new Y.Doc();
  const updates: Uint8Array[] = [];
  source.on('update', (u: Uint8Array) => updates.push(u));
  source.getText('text').insert(0, 'first ');
  source.getText('text').insert(6, 'second');
  const [first, second] = updates as [Uint8Array, Uint8Array];
  for (const bytes of [second, first]) {
    const rid = writer.rid();
    writer.send({
      type: 'doc',
      channel: 'doc:order',
      kind: 'update',
      data: Buffer.from(bytes).toString('base64'),
      rid,
    });
    const reply = await writer.answer(rid, 5000);
    assert.notEqual(reply['type'], 'error', JSON.stringify(reply));
  }
  await reader.until(() => reader.text === 'first second', 10_000, 'the reader has both, in order');
  const live = hub.hub.documents.get('doc:order')!;
  assert.equal(live.doc.getText('text').toString(), 'first second');
  await live.writes;
  assert.equal(await storedText(store, 'doc:order'), 'first second', 'the store holds both');
});

test('documentFanoutBatchMs: a burst of updates reaches the other peers complete and in order, and cursors with it', async (t) => {
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentFanoutBatchMs: 40, documentUpdatesPerSecond: 1000 } },
  });
  const writerClient = await openClient(t, hub, 'writer');
  const readerClient = await openClient(t, hub, 'reader');
  const writer = await openReplica(writerClient, 'doc:burst');
  const reader = await openReplica(readerClient, 'doc:burst');
  t.after(() => {
    writer.destroy();
    reader.destroy();
  });
  // The clock of the writer's structs in each update the reader receives, in arrival order.
  const clocks: number[] = [];
  readerClient.ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if (m['type'] !== 'doc' || m['kind'] !== 'update') return;
    for (const s of Y.decodeUpdate(new Uint8Array(Buffer.from(m['data'] as string, 'base64'))).structs)
      if (s.id.client === writer.doc.clientID) clocks.push(s.id.clock);
  });
  for (let i = 0; i < 30; i++) writer.insert(i, String(i % 10));
  writer.awareness.setLocalState({ cursor: 30 });
  await reader.until(
    () => reader.text === writer.text && reader.text.length === 30,
    10_000,
    'the reader has the burst',
  );
  await reader.until(() => reader.awareness.states.get(writer.doc.clientID)?.['cursor'] === 30, 5000, 'and the cursor');
  assert.deepEqual(
    clocks,
    Array.from({ length: 30 }, (_, i) => i),
    'one update per edit, in the order they were made',
  );
  assert.deepEqual(reader.errors, []);
  assert.deepEqual(writer.errors, []);
});

test('documentFanoutBatchMs: updates held when their writer leaves still reach the others', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, documentFanoutBatchMs: 200 } } });
  const writerClient = await openClient(t, hub, 'writer');
  const writer = await openReplica(writerClient, 'doc:held');
  const reader = await openReplica(await openClient(t, hub, 'reader'), 'doc:held');
  t.after(() => {
    writer.destroy();
    reader.destroy();
  });
  writer.insert(0, 'a');
  writer.insert(1, 'b');
  writer.insert(2, 'c');
  await writerClient.request({ type: 'ping' });
  writerClient.ws.terminate();
  await reader.until(() => reader.text === 'abc', 10_000, 'the reader has every held update');
});
