// Documents across nodes: two servers, each with its own RedisBroker on one real redis-server and one shared store.
// Updates and awareness cross through the broker; every update is stored once; a node that loads the document later
// (or reloads it after an idle unload) serves the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { MemoryDocumentStore, RedisBroker } from '../../../src/broker/index.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub } from '../../helpers/realtime.ts';
import { startRedis } from '../../helpers/redis-server.ts';

const NAMESPACES = { doc: { document: true, documentIdleUnloadMs: 100 } };

async function storedText(store: MemoryDocumentStore, name: string): Promise<{ text: string; updates: number }> {
  const stored = await store.load(name);
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  return { text: doc.getText('text').toString(), updates: stored.updates.length };
}

test('two nodes over one Redis converge on one document; each update is stored once', async (t) => {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const store = new MemoryDocumentStore();
  const one = await startHub(t, { broker: brokers[0], namespaces: NAMESPACES, documentStore: store });
  const two = await startHub(t, { broker: brokers[1], namespaces: NAMESPACES, documentStore: store });
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  const carol = await openClient(t, two, 'carol');
  const a = await openReplica(alice, 'doc:shared');
  const b = await openReplica(bob, 'doc:shared');
  const c = await openReplica(carol, 'doc:shared');
  t.after(() => {
    for (const r of [a, b, c]) r.destroy();
  });

  for (let i = 0; i < 15; i++) {
    a.insert(i, 'a');
    b.insert(0, 'b');
    c.insert(Math.floor(c.text.length / 2), 'c');
  }
  const converged = () => a.text.length === 45 && a.text === b.text && b.text === c.text;
  await a.until(converged, 15_000, 'three replicas on two nodes converged');
  await b.until(converged, 15_000);
  await c.until(converged, 15_000);

  a.awareness.setLocalState({ user: { name: 'alice' } });
  await b.until(() => b.awareness.states.has(a.doc.clientID), 10_000, 'awareness crossed nodes');
  alice.close();
  await b.until(() => !b.awareness.states.has(a.doc.clientID), 10_000, 'its removal crossed nodes too');

  for (const client of [bob, carol]) await client.request({ type: 'ping' });
  await waitFor(async () => (await storedText(store, 'doc:shared')).text === b.text, 'stored');
  const stored = await storedText(store, 'doc:shared');
  assert.equal(stored.updates, 45, 'each update stored once, by the node that received it');
  const one_ = one.hub.documents.get('doc:shared');
  const two_ = two.hub.documents.get('doc:shared')!;
  assert.equal(two_.doc.getText('text').toString(), b.text);
  if (one_ !== undefined) assert.equal(one_.doc.getText('text').toString(), b.text);
});

test('a node that unloaded the document loads what the other node stored meanwhile', async (t) => {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const store = new MemoryDocumentStore();
  const one = await startHub(t, { broker: brokers[0], namespaces: NAMESPACES, documentStore: store });
  const two = await startHub(t, { broker: brokers[1], namespaces: NAMESPACES, documentStore: store });
  const alice = await openClient(t, one, 'alice');
  const a = await openReplica(alice, 'doc:handover');
  a.insert(0, 'first');
  await alice.request({ type: 'unsubscribe', channel: 'doc:handover' });
  await waitFor(() => one.hub.documents.get('doc:handover') === undefined, 'unloaded on node one');
  const bob = await openClient(t, two, 'bob');
  const b = await openReplica(bob, 'doc:handover');
  await b.until(() => b.text === 'first', 5000, 'node two loaded it');
  b.insert(5, ' second');
  await bob.request({ type: 'ping' });
  const carol = await openClient(t, one, 'carol');
  const c = await openReplica(carol, 'doc:handover');
  t.after(() => {
    for (const r of [a, b, c]) r.destroy();
  });
  await c.until(() => c.text === 'first second', 5000, 'node one reloaded it with node two’s edit');
});

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
