// Documents' cross-node signals with the in-process broker: a node alone on its MemoryBroker sends none (only it
// would hear them, and it drops its own), while two nodes sharing one MemoryBroker still send and converge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, MemoryDocumentStore } from '../../../src/broker/index.ts';
import { DOCUMENT_SIGNAL_PREFIX } from '../../../src/realtime/documents/signals.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub } from '../../helpers/realtime.ts';

const NAMESPACES = { doc: { document: true, documentCompactUpdates: 5, documentUpdatesPerSecond: 1000 } };

/** The real in-process broker, counting the document signals it is asked to send, by kind. */
class CountingBroker extends MemoryBroker {
  readonly documentSignals = new Map<string, number>();

  override async signal(channel: string, data: unknown): Promise<void> {
    if (channel.startsWith(DOCUMENT_SIGNAL_PREFIX)) {
      const kind = String((data as { kind?: unknown }).kind);
      this.documentSignals.set(kind, (this.documentSignals.get(kind) ?? 0) + 1);
    }
    return super.signal(channel, data);
  }
}

test('a node alone on the in-process broker sends no document signal: updates, awareness and compactions', async (t) => {
  const broker = new CountingBroker();
  t.after(() => broker.close());
  const hub = await startHub(t, { broker, namespaces: NAMESPACES, documentStore: new MemoryDocumentStore() });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  const a = await openReplica(alice, 'doc:alone');
  const b = await openReplica(bob, 'doc:alone');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  for (let i = 0; i < 12; i++) a.insert(i, 'x');
  a.awareness.setLocalState({ user: { name: 'alice' } });
  await b.until(() => b.text === 'x'.repeat(12), 10_000, 'the edits reached the other editor on the node');
  await b.until(() => b.awareness.states.has(a.doc.clientID), 10_000, 'the cursor too');
  await alice.request({ type: 'ping' });
  assert.deepEqual([...broker.documentSignals], [], 'no document signal was sent');
});

test('two nodes sharing one in-process broker still signal each other and converge', async (t) => {
  const broker = new CountingBroker();
  t.after(() => broker.close());
  const store = new MemoryDocumentStore();
  const one = await startHub(t, { broker, namespaces: NAMESPACES, documentStore: store });
  const two = await startHub(t, { broker, namespaces: NAMESPACES, documentStore: store });
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  const a = await openReplica(alice, 'doc:shared');
  const b = await openReplica(bob, 'doc:shared');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  for (let i = 0; i < 6; i++) {
    a.insert(i, 'a');
    b.insert(0, 'b');
  }
  const converged = () => a.text.length === 12 && a.text === b.text;
  await a.until(converged, 10_000, 'the replicas on two nodes converged');
  await b.until(converged, 10_000);
  assert.equal(broker.documentSignals.get('update'), 12, 'each update signalled once, by the node that took it');
});
