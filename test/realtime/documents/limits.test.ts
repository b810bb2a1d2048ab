// Documents, hostile and careless input: malformed updates, documents not opened, oversize updates and documents,
// update and awareness floods, too many documents, a store that fails. Each is answered with its code, nothing is
// applied, the live document stays intact and the server keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MemoryDocumentStore } from '../../../src/broker/index.ts';
import { MAX_AWARENESS_IDS_PER_PEER } from '../../../src/realtime/documents/document.ts';
import { DocReplica, openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type TestClient } from '../../helpers/realtime.ts';

type Message = Record<string, unknown> & { type: string };

function docMessage(channel: string, kind: string, bytes: Uint8Array | string, rid?: number): Record<string, unknown> {
  return {
    type: 'doc',
    channel,
    kind,
    data: typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('base64'),
    ...(rid === undefined ? {} : { rid }),
  };
}

/** An update that inserts `text` from a fresh client (a valid, self-contained update). */
function insertUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('text').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

async function requestDoc(client: TestClient, channel: string, kind: string, bytes: Uint8Array | string) {
  const rid = client.rid();
  client.send(docMessage(channel, kind, bytes, rid));
  return client.answer(rid, 5000);
}

test('malformed updates are refused with invalid_message and never touch the live document', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true } } });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:bad');
  t.after(() => a.destroy());
  a.insert(0, 'intact');
  await a.client.request({ type: 'ping' });
  const valid = insertUpdate('tail');
  const garbage: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['one byte', new Uint8Array([1])],
    ['truncated', valid.subarray(0, valid.length - 3)],
    ['random', new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff))],
    ['huge struct count', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3])],
    ['bad content ref', new Uint8Array([1, 1, 5, 0, 0x1f, 1, 4, 116, 101, 120, 116, 0])],
  ];
  for (const [what, bytes] of garbage) {
    const answer = await requestDoc(alice, 'doc:bad', 'update', bytes);
    assert.equal(answer['code'], 'invalid_message', what);
  }
  const sv = await requestDoc(alice, 'doc:bad', 'sync1', new Uint8Array([5, 1]));
  assert.equal(sv['code'], 'invalid_message', 'a truncated state vector');
  const live = hub.hub.documents.get('doc:bad')!;
  assert.equal(live.doc.getText('text').toString(), 'intact', 'the live document is unchanged');
  // The connection still works, and so does the document.
  const ok = await requestDoc(alice, 'doc:bad', 'update', valid);
  assert.equal(ok.type, 'reply');
  assert.match(live.doc.getText('text').toString(), /intact/);
  assert.match(live.doc.getText('text').toString(), /tail/);
});

test('doc messages for a document not opened are answered not_subscribed', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true }, chat: {} } });
  const alice = await openClient(t, hub, 'alice');
  const update = insertUpdate('x');
  assert.equal((await requestDoc(alice, 'doc:never', 'update', update))['code'], 'not_subscribed');
  assert.equal((await requestDoc(alice, 'doc:never', 'sync1', new Uint8Array([0])))['code'], 'not_subscribed');
  await alice.request({ type: 'subscribe', channel: 'chat:room' });
  assert.equal((await requestDoc(alice, 'chat:room', 'update', update))['code'], 'not_subscribed', 'not a document');
  const a = await openReplica(alice, 'doc:open');
  t.after(() => a.destroy());
  await alice.request({ type: 'unsubscribe', channel: 'doc:open' });
  assert.equal((await requestDoc(alice, 'doc:open', 'update', update))['code'], 'not_subscribed', 'after unsubscribe');
  assert.equal(hub.hub.documents.get('doc:never'), undefined, 'nothing was loaded for it');
});

test('an update over documentUpdateMaxBytes is message_too_large; one that would pass documentMaxBytes is document_too_large', async (t) => {
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentUpdateMaxBytes: 256, documentMaxBytes: 600 } },
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:size');
  t.after(() => a.destroy());
  const big = insertUpdate('x'.repeat(400));
  assert.equal((await requestDoc(alice, 'doc:size', 'update', big))['code'], 'message_too_large');
  const awareness = new Uint8Array(300);
  assert.equal((await requestDoc(alice, 'doc:size', 'awareness', awareness))['code'], 'message_too_large');
  let refused: Message | null = null;
  for (let i = 0; i < 10 && refused === null; i++) {
    const answer = await requestDoc(alice, 'doc:size', 'update', insertUpdate('y'.repeat(150)));
    if (answer.type === 'error') refused = answer;
  }
  assert.equal(refused?.['code'], 'document_too_large');
  const live = hub.hub.documents.get('doc:size')!;
  assert.ok(live.bytes <= 600, `the document stayed within its limit (${live.bytes} bytes)`);
});

test('update and awareness floods are rate_limited per connection and document; memory stays bounded', async (t) => {
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentUpdatesPerSecond: 2, awarenessUpdatesPerSecond: 2 } },
    rateLimit: { messagesPerSecond: 1000, messagesBurst: 1000 },
  });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  const a = await openReplica(alice, 'doc:flood');
  const b = await openReplica(bob, 'doc:flood');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  const answers: Message[] = [];
  for (let i = 0; i < 12; i++) answers.push(await requestDoc(alice, 'doc:flood', 'update', insertUpdate(`u${i}`)));
  const limited = answers.filter((m) => m['code'] === 'rate_limited').length;
  assert.ok(limited >= 6, `most of the update flood was refused (${limited} of 12)`);
  assert.ok(
    answers.some((m) => m.type === 'reply'),
    'the first ones were applied',
  );

  const awarenessAnswers: Message[] = [];
  for (let i = 0; i < 40; i++) {
    const doc = new Y.Doc();
    const aw = new awarenessProtocol.Awareness(doc);
    aw.setLocalState({ user: { name: `spoof${i}` }, big: 'z'.repeat(100) });
    awarenessAnswers.push(
      await requestDoc(alice, 'doc:flood', 'awareness', awarenessProtocol.encodeAwarenessUpdate(aw, [doc.clientID])),
    );
    aw.destroy();
  }
  const limitedAwareness = awarenessAnswers.filter((m) => m['code'] === 'rate_limited').length;
  assert.ok(limitedAwareness >= 30, `the awareness flood was refused (${limitedAwareness} of 40)`);
  const live = hub.hub.documents.get('doc:flood')!;
  assert.ok(
    live.awareness.states.size <= MAX_AWARENESS_IDS_PER_PEER,
    `awareness states stay bounded (${live.awareness.states.size})`,
  );
  assert.equal((await alice.request({ type: 'ping' })).type, 'reply', 'the flooder is still served');
  assert.equal((await bob.request({ type: 'ping' })).type, 'reply', 'and so is everyone else');
});

test('awareness updates are checked whole: malformed, too many client ids, or another peer’s id', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, awarenessUpdatesPerSecond: 100 } } });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  const a = await openReplica(alice, 'doc:aw');
  const b = await openReplica(bob, 'doc:aw');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, 1);
  encoding.writeVarUint(enc, 42);
  encoding.writeVarUint(enc, 1);
  encoding.writeVarString(enc, '{not json');
  assert.equal((await requestDoc(alice, 'doc:aw', 'awareness', encoding.toUint8Array(enc)))['code'], 'invalid_message');
  assert.equal((await requestDoc(alice, 'doc:aw', 'awareness', new Uint8Array([3, 1])))['code'], 'invalid_message');

  const many = encoding.createEncoder();
  const count = MAX_AWARENESS_IDS_PER_PEER + 1;
  encoding.writeVarUint(many, count);
  for (let i = 0; i < count; i++) {
    encoding.writeVarUint(many, 1000 + i);
    encoding.writeVarUint(many, 1);
    encoding.writeVarString(many, '{"cursor":1}');
  }
  assert.equal(
    (await requestDoc(alice, 'doc:aw', 'awareness', encoding.toUint8Array(many)))['code'],
    'invalid_message',
  );

  b.awareness.setLocalState({ user: { name: 'bob' } });
  const live = hub.hub.documents.get('doc:aw')!;
  await b.until(() => live.awareness.states.has(b.doc.clientID), 5000, 'bob’s awareness on the server');
  const spoof = encoding.createEncoder();
  encoding.writeVarUint(spoof, 1);
  encoding.writeVarUint(spoof, b.doc.clientID);
  encoding.writeVarUint(spoof, 99);
  encoding.writeVarString(spoof, 'null');
  assert.equal((await requestDoc(alice, 'doc:aw', 'awareness', encoding.toUint8Array(spoof)))['code'], 'forbidden');
  assert.ok(live.awareness.states.has(b.doc.clientID), 'bob’s cursor was not removed by alice');
});

test('documentsPerConnection caps the documents one connection opens (too_many_documents)', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, documentsPerConnection: 2 } } });
  const alice = await openClient(t, hub, 'alice');
  const one = await openReplica(alice, 'doc:one');
  const two = await openReplica(alice, 'doc:two');
  t.after(() => {
    one.destroy();
    two.destroy();
  });
  const third = await alice.request({ type: 'subscribe', channel: 'doc:three' });
  assert.equal(third['code'], 'too_many_documents');
  await alice.request({ type: 'unsubscribe', channel: 'doc:one' });
  assert.equal((await alice.request({ type: 'subscribe', channel: 'doc:three' })).type, 'subscribed');
});

test('a document whose store fails ends the subscription with broker_unavailable; the server keeps serving', async (t) => {
  const store = new MemoryDocumentStore();
  await store.close();
  const hub = await startHub(t, { namespaces: { doc: { document: true }, chat: {} }, documentStore: store });
  const alice = await openClient(t, hub, 'alice');
  const replica = new DocReplica(alice, 'doc:down');
  t.after(() => replica.destroy());
  const answer = await alice.request({ type: 'subscribe', channel: 'doc:down' });
  assert.equal(answer.type, 'subscribed');
  const ended = await alice.next((m) => m.type === 'unsubscribed' && m['channel'] === 'doc:down', 5000);
  assert.equal(ended['code'], 'broker_unavailable');
  assert.equal(hub.hub.documents.get('doc:down'), undefined);
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:x' })).type, 'subscribed');
});
