// Documents, lifecycle: awareness of a peer that leaves is removed for everyone; a document nobody holds is unloaded
// after documentIdleUnloadMs and loads again from the store; compaction replaces stored updates with one snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub } from '../../helpers/realtime.ts';

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const how of ['unsubscribe', 'close'] as const) {
  test(`a peer's awareness is removed for the others when it leaves (${how})`, async (t) => {
    const hub = await startHub(t, { namespaces: { doc: { document: true } } });
    const alice = await openClient(t, hub, 'alice');
    const bob = await openClient(t, hub, 'bob');
    const a = await openReplica(alice, 'doc:cursors');
    const b = await openReplica(bob, 'doc:cursors');
    t.after(() => {
      a.destroy();
      b.destroy();
    });
    a.awareness.setLocalState({ user: { name: 'alice', color: '#f00' }, cursor: 3 });
    await b.until(() => b.awareness.states.has(a.doc.clientID), 5000, 'bob sees alice’s cursor');
    if (how === 'unsubscribe') await alice.request({ type: 'unsubscribe', channel: 'doc:cursors' });
    else alice.close();
    await b.until(() => !b.awareness.states.has(a.doc.clientID), 5000, 'alice’s cursor is gone for bob');
    const live = hub.hub.documents.get('doc:cursors')!;
    assert.equal(live.awareness.states.has(a.doc.clientID), false);
    assert.equal(live.awareness.meta.has(a.doc.clientID), false, 'its clock is dropped too (bounded map)');
  });
}

test('a late joiner receives the awareness states present', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true } } });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:aw-late');
  a.awareness.setLocalState({ user: { name: 'alice' } });
  await waitFor(() => hub.hub.documents.get('doc:aw-late')!.awareness.states.size === 1, 'alice’s state on the server');
  const bob = await openClient(t, hub, 'bob');
  const b = await openReplica(bob, 'doc:aw-late');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  await b.until(() => b.awareness.states.get(a.doc.clientID)?.['user']?.name === 'alice', 5000, 'late awareness');
});

test('a document nobody holds is unloaded after documentIdleUnloadMs and loads again from the store', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentIdleUnloadMs: 100 } },
    documentStore: store,
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:idle');
  a.insert(0, 'kept across unloads');
  await alice.request({ type: 'ping' });
  assert.equal(hub.hub.stats()['documents'], 1);
  await alice.request({ type: 'unsubscribe', channel: 'doc:idle' });
  assert.ok(hub.hub.documents.get('doc:idle') !== undefined, 'still loaded right after the last peer left');
  await waitFor(() => hub.hub.documents.get('doc:idle') === undefined, 'unloaded');
  assert.equal(hub.hub.stats()['documents'], 0);
  a.destroy();
  const bob = await openClient(t, hub, 'bob');
  const b = await openReplica(bob, 'doc:idle');
  t.after(() => b.destroy());
  await b.until(() => b.text === 'kept across unloads', 5000, 'reloaded from the store');
});

test('a peer that comes back within the idle period finds the document loaded', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, documentIdleUnloadMs: 60_000 } } });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:warm');
  t.after(() => a.destroy());
  const first = hub.hub.documents.get('doc:warm');
  await alice.request({ type: 'unsubscribe', channel: 'doc:warm' });
  await alice.request({ type: 'subscribe', channel: 'doc:warm' });
  assert.equal(hub.hub.documents.get('doc:warm'), first, 'the same loaded document');
});

test('after documentCompactUpdates stored updates the store holds one snapshot and a short tail', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentCompactUpdates: 5, documentUpdatesPerSecond: 1000 } },
    documentStore: store,
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:compact');
  t.after(() => a.destroy());
  for (let i = 0; i < 23; i++) {
    a.insert(i, String.fromCharCode(97 + (i % 26)));
    await alice.request({ type: 'ping' });
  }
  await waitFor(async () => {
    const s = await store.load('doc:compact');
    return s.snapshot !== null && s.updates.length === 23 % 5;
  }, 'compacted');
  const stored = await store.load('doc:compact');
  const doc = new Y.Doc();
  Y.applyUpdate(doc, stored.snapshot!);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  assert.equal(doc.getText('text').toString(), a.text, 'snapshot plus tail rebuild the text');
  assert.ok(stored.updates.length < 5, `a short tail (${stored.updates.length})`);
});

/** The memory store, counting the compactions it carried out (this node's and the test's "other node"). */
class CountingStore extends MemoryDocumentStore {
  compactions = 0;

  override async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<boolean> {
    const done = await super.compact(name, snapshot, throughSeq);
    if (done) this.compactions++;
    return done;
  }
}

/** The document as the store holds it. */
async function storedDoc(store: MemoryDocumentStore, name: string): Promise<Y.Doc> {
  const stored = await store.load(name);
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return doc;
}

test('a compaction applies the stored state only when the document may lack some: another node compacted or appended', async (t) => {
  const store = new CountingStore();
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentCompactUpdates: 5, documentUpdatesPerSecond: 1000 } },
    documentStore: store,
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:own');
  t.after(() => a.destroy());
  const live = hub.hub.documents.get('doc:own');
  assert.ok(live !== undefined);
  // What each compaction applied of the store's state: the snapshot or not, and how many updates.
  const applied: { snapshot: boolean; updates: number }[] = [];
  const applyStored = live.applyStored.bind(live);
  live.applyStored = (snapshot: Uint8Array | null, updates: readonly Uint8Array[]) => {
    applied.push({ snapshot: snapshot !== null, updates: updates.length });
    return applyStored(snapshot, updates);
  };
  const type = async (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      a.insert(i, String.fromCharCode(97 + (i % 26)));
      await alice.request({ type: 'ping' });
    }
  };
  await type(0, 15);
  await waitFor(() => store.compactions === 3, 'three compactions');
  assert.deepEqual(applied, [], 'every stored update came from this node: the document holds them all');
  // Another node compacts (a snapshot this node did not write, holding a character it never received).
  const other = await storedDoc(store, 'doc:own');
  other.getText('text').insert(0, '#');
  assert.ok(await store.compact('doc:own', Y.encodeStateAsUpdate(other), (await store.load('doc:own')).seq));
  await type(15, 5);
  await waitFor(() => store.compactions === 5, 'a fourth compaction of this node');
  assert.deepEqual(applied, [{ snapshot: true, updates: 5 }], "another node's snapshot is applied");
  await waitFor(() => a.text.startsWith('#'), "the other node's character reaches the editor through the compaction");
  // Another node appends an update this node never heard of (its signal lost): the tail outgrows this node's count.
  const third = await storedDoc(store, 'doc:own');
  let update: Uint8Array | null = null;
  third.on('update', (u: Uint8Array) => {
    update = u;
  });
  third.getText('text').insert(0, '!');
  await store.append('doc:own', update!);
  await type(21, 5);
  await waitFor(() => store.compactions === 6, 'a fifth compaction of this node');
  assert.deepEqual(applied[1], { snapshot: false, updates: 6 }, 'every update after its own snapshot is applied');
  await waitFor(() => a.text.startsWith('!#'), "the other node's update reaches the editor through the compaction");
  const rebuilt = await storedDoc(store, 'doc:own');
  assert.equal(rebuilt.getText('text').toString(), a.text, 'the store holds what the editor holds');
  assert.equal(a.text.length, 27);
});

for (const nearMax of [false, true]) {
  test(`a small tail waits to weigh half the snapshot before a compaction${nearMax ? ', unless the document is near documentMaxBytes' : ''}`, async (t) => {
    const store = new CountingStore();
    const hub = await startHub(t, {
      namespaces: {
        doc: {
          document: true,
          documentCompactUpdates: 5,
          documentCompactBytes: 10_000,
          documentUpdatesPerSecond: 1000,
          ...(nearMax ? { documentMaxBytes: 15_000 } : {}),
        },
      },
      documentStore: store,
    });
    const alice = await openClient(t, hub, 'alice');
    const a = await openReplica(alice, 'doc:share');
    t.after(() => a.destroy());
    // One large paste: past documentCompactBytes, compacted into a snapshot of about 12 KB.
    a.insert(0, 'p'.repeat(12_000));
    await alice.request({ type: 'ping' });
    await waitFor(() => store.compactions === 1, 'the paste compacted');
    for (let i = 0; i < 12; i++) {
      a.insert(i, 'x');
      await alice.request({ type: 'ping' });
    }
    // The document's store writes, compactions included, all done.
    await hub.hub.documents.get('doc:share')?.writes;
    const written = await storedDoc(store, 'doc:share');
    assert.equal(written.getText('text').toString(), a.text, 'everything stored');
    if (nearMax) {
      assert.equal(store.compactions, 3, 'near the limit, a compaction every documentCompactUpdates updates');
      assert.equal((await store.load('doc:share')).updates.length, 2);
    } else {
      // Twelve updates of a few dozen bytes each weigh far less than half of 12 KB: still one snapshot and the tail.
      assert.equal(store.compactions, 1);
      assert.equal((await store.load('doc:share')).updates.length, 12);
    }
  });
}

test('compaction by the documentCompactBytes threshold', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentCompactBytes: 200, documentCompactUpdates: 1_000_000 } },
    documentStore: store,
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:bytes');
  t.after(() => a.destroy());
  for (let i = 0; i < 6; i++) {
    a.insert(0, 'x'.repeat(60));
    await alice.request({ type: 'ping' });
  }
  await waitFor(async () => (await store.load('doc:bytes')).snapshot !== null, 'compacted by bytes');
});

test('draining the server flushes pending store writes', async (t) => {
  const store = new MemoryDocumentStore();
  const hub = await startHub(t, { namespaces: { doc: { document: true } }, documentStore: store });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:drain');
  t.after(() => a.destroy());
  a.insert(0, 'flushed');
  await alice.request({ type: 'ping' });
  await hub.hub.drain({ timeoutMs: 500 });
  const stored = await store.load('doc:drain');
  const doc = new Y.Doc();
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  assert.equal(doc.getText('text').toString(), 'flushed');
  assert.equal(hub.hub.stats()['documents'], 0);
});
