// Documents, `quiet` doc messages (docs/protocol.md, `doc`): a rid that only a refusal answers. A quiet success sends
// no `reply`, and is applied and stored like any other; a quiet refusal carries its rid as usual; `quiet: false` is
// the default; anything but a boolean is refused. The SDK's provider sends every `doc` quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { Client } from '../../../src/client/index.ts';
import { createDocumentProvider } from '../../../src/client/documents.ts';
import { engineTransport, waitFor } from '../../helpers/client-faults.ts';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type TestClient } from '../../helpers/realtime.ts';

/** An update that inserts `text` from a fresh client (a valid, self-contained update). */
function insertUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('text').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

function doc(channel: string, kind: string, bytes: Uint8Array, extra: Record<string, unknown>) {
  return { type: 'doc', channel, kind, data: Buffer.from(bytes).toString('base64'), ...extra };
}

/** Waits until every message sent before now was handled (a ping's answer comes after them), plus a little. */
async function settled(client: TestClient): Promise<void> {
  await client.request({ type: 'ping' });
  await new Promise((resolve) => setTimeout(resolve, 50));
}

test('a quiet update, sync1 or awareness update gets no reply; a loud one is answered', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true } } });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:quiet-ok');
  t.after(() => a.destroy());
  const quietRid = alice.rid();
  alice.send(doc('doc:quiet-ok', 'update', insertUpdate('hush'), { rid: quietRid, quiet: true }));
  const loudRid = alice.rid();
  alice.send(doc('doc:quiet-ok', 'update', insertUpdate('loud'), { rid: loudRid, quiet: false }));
  assert.equal((await alice.answer(loudRid)).type, 'reply', 'quiet: false is the default: answered');
  const syncRid = alice.rid();
  // A quiet sync1: its answer is the server's sync2 alone.
  alice.send(doc('doc:quiet-ok', 'sync1', Y.encodeStateVector(new Y.Doc()), { rid: syncRid, quiet: true }));
  const sync2 = await alice.next((m) => m.type === 'doc' && m['kind'] === 'sync2');
  assert.equal(sync2['channel'], 'doc:quiet-ok');
  // A quiet awareness update: relayed, not answered.
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  awareness.setLocalState({ user: { name: 'alice' } });
  const awarenessRid = alice.rid();
  const state = awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID]);
  alice.send(doc('doc:quiet-ok', 'awareness', state, { rid: awarenessRid, quiet: true }));
  awareness.destroy();
  await settled(alice);
  const quiet = [quietRid, syncRid, awarenessRid];
  const answered = alice.received.filter((m) => quiet.includes(m['re'] as number));
  assert.deepEqual(answered, [], 'no answer to a quiet success');
  const text = hub.hub.documents.get('doc:quiet-ok')!.doc.getText('text').toString();
  assert.match(text, /hush/, 'the quiet update is applied');
  assert.match(text, /loud/);
});

test('a quiet refusal carries its rid: malformed, not subscribed, oversize; quiet must be a boolean', async (t) => {
  const hub = await startHub(t, {
    namespaces: { doc: { document: true, documentUpdateMaxBytes: 1024 } },
  });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:quiet-no');
  t.after(() => a.destroy());
  const cases: [string, Record<string, unknown>, string][] = [
    ['malformed', doc('doc:quiet-no', 'update', new Uint8Array([1]), {}), 'invalid_message'],
    ['not subscribed', doc('doc:elsewhere', 'update', insertUpdate('x'), {}), 'not_subscribed'],
    ['oversize', doc('doc:quiet-no', 'update', new Uint8Array(2048).fill(1), {}), 'message_too_large'],
  ];
  for (const [what, message, code] of cases) {
    const rid = alice.rid();
    alice.send({ ...message, rid, quiet: true });
    const answer = await alice.answer(rid);
    assert.equal(answer.type, 'error', what);
    assert.equal(answer['code'], code, what);
  }
  const bad = alice.rid();
  alice.send(doc('doc:quiet-no', 'update', insertUpdate('x'), { rid: bad, quiet: 'yes' }));
  const refused = await alice.answer(bad);
  assert.equal(refused['code'], 'invalid_message', 'quiet must be a boolean');
  assert.doesNotMatch(hub.hub.documents.get('doc:quiet-no')!.doc.getText('text').toString(), /x/);
});

test("the SDK's provider sends its doc messages quiet: typing costs the server no reply, a refusal still reaches it", {
  timeout: 30_000,
}, async (t) => {
  const replies = { count: 0 };
  const hub = await startHub(t, {
    namespaces: { doc: { document: true }, ro: { document: true, roles: { publish: ['editor'] } } },
    observer: {
      messageOut(type) {
        if (type === 'reply') replies.count++;
      },
    },
  });
  const client = new Client({
    url: `ws://127.0.0.1:${hub.port}/ws`,
    transport: engineTransport,
    token: await hub.token('alice'),
    reconnect: false,
  });
  t.after(() => client.close());
  await client.connect();
  const provider = createDocumentProvider(client, 'doc:sdk-quiet', { updateThrottleMs: 0 });
  t.after(() => provider.destroy());
  await waitFor(() => provider.synced, 10_000);
  const before = replies.count;
  const text = provider.doc.getText('text');
  for (let i = 0; i < 20; i++) text.insert(text.length, `k${i % 10}`);
  const live = () => hub.hub.documents.get('doc:sdk-quiet')?.doc.getText('text').toString() ?? '';
  await waitFor(
    () => live() === text.toString(),
    10_000,
    () => `(server ${JSON.stringify(live())})`,
  );
  await client.request({ type: 'ping' });
  assert.equal(replies.count - before, 1, 'only the ping was answered with a reply: no reply per update');
  // A read-only document: the provider's quiet update is refused, and the refusal reaches the provider.
  const readOnly = createDocumentProvider(client, 'ro:sdk-quiet');
  t.after(() => readOnly.destroy());
  const errors: string[] = [];
  readOnly.on('error', (e) => errors.push(e.code));
  await waitFor(() => readOnly.synced, 10_000);
  readOnly.doc.getText('text').insert(0, 'nope');
  await waitFor(
    () => errors.includes('forbidden'),
    10_000,
    () => `(errors ${errors.join(', ')})`,
  );
});
