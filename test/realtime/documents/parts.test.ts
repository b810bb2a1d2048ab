// Documents, large updates in parts (`more: true`): an update far above `documentUpdateMaxBytes` gets through in parts
// the server joins; the parts can never grow a document past `documentMaxBytes`, hold more than one update per
// connection, come from a read-only user, or carry a sync1 or awareness update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type TestClient } from '../../helpers/realtime.ts';

const NAMESPACES = {
  doc: { document: true, documentMaxBytes: 200_000 },
  ro: { document: true, roles: { publish: ['editor'] } },
};

/** An update inserting `length` characters from a fresh client. */
function bigUpdate(length: number, seed = 'x'): Uint8Array {
  const doc = new Y.Doc();
  doc
    .getText('text')
    .insert(
      0,
      Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7 + seed.charCodeAt(0)) % 26))).join(''),
    );
  return Y.encodeStateAsUpdate(doc);
}

function parts(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function send(client: TestClient, channel: string, kind: string, bytes: Uint8Array, more: boolean) {
  const rid = client.rid();
  client.send({
    type: 'doc',
    rid,
    channel,
    kind,
    data: Buffer.from(bytes).toString('base64'),
    ...(more ? { more: true } : {}),
  });
  return client.answer(rid, 5000);
}

async function sendInParts(client: TestClient, channel: string, kind: string, bytes: Uint8Array, size = 30_000) {
  const all = parts(bytes, size);
  const answers = [];
  for (const [i, part] of all.entries()) answers.push(await send(client, channel, kind, part, i < all.length - 1));
  return answers;
}

test('an update of 100 KB (over documentUpdateMaxBytes 32 KiB) gets through in parts and reaches the others', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  const a = await openReplica(alice, 'doc:big');
  const b = await openReplica(bob, 'doc:big');
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  const update = bigUpdate(100_000);
  assert.ok(update.byteLength > 3 * 32_768);
  // One message over 32 KiB is refused, as before (the whole 100 KB would not even fit a 64 KiB frame).
  const one = await send(alice, 'doc:big', 'update', update.subarray(0, 40_000), false);
  assert.equal(one['code'], 'message_too_large');
  const answers = await sendInParts(alice, 'doc:big', 'sync2', update);
  assert.equal(answers.length, 4);
  for (const answer of answers) assert.equal(answer.type, 'reply', JSON.stringify(answer));
  await b.until(() => b.text.length === 100_000, 5000, 'bob has the whole text');
  const expected = new Y.Doc();
  Y.applyUpdate(expected, update);
  assert.equal(b.text, expected.getText('text').toString());
  assert.equal(hub.hub.documents.get('doc:big')!.doc.getText('text').length, 100_000);
});

test('parts that would grow the document past documentMaxBytes are refused and dropped; the next update works', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:cap');
  t.after(() => a.destroy());
  const tooBig = bigUpdate(250_000);
  const all = parts(tooBig, 30_000);
  const answers = [];
  for (const [i, part] of all.entries()) {
    answers.push(await send(alice, 'doc:cap', 'update', part, i < all.length - 1));
    if (answers.at(-1)!['code'] === 'document_too_large') break;
  }
  const refusedAt = answers.findIndex((x) => x['code'] === 'document_too_large');
  // 200,000 bytes of room: six parts of 30,000 are held, the seventh would pass the bound.
  assert.equal(refusedAt, 6, JSON.stringify(answers.map((x) => x['code'] ?? x.type)));
  assert.equal(hub.hub.documents.get('doc:cap')!.doc.getText('text').length, 0, 'nothing applied');
  // The dropped parts are gone: a fresh update in parts is taken from its first byte.
  const fits = bigUpdate(60_000, 'y');
  for (const answer of await sendInParts(alice, 'doc:cap', 'update', fits)) assert.equal(answer.type, 'reply');
  assert.equal(hub.hub.documents.get('doc:cap')!.doc.getText('text').length, 60_000);
});

test('one update in parts per connection; sync1 and awareness never come in parts; a read-only user cannot send parts', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const alice = await openClient(t, hub, 'alice');
  const a1 = await openReplica(alice, 'doc:one');
  const a2 = await openReplica(alice, 'doc:two');
  t.after(() => {
    a1.destroy();
    a2.destroy();
  });
  const update = bigUpdate(40_000);
  assert.equal((await send(alice, 'doc:one', 'update', update.subarray(0, 20_000), true)).type, 'reply');
  const other = await send(alice, 'doc:two', 'update', update.subarray(0, 20_000), true);
  assert.equal(other['code'], 'invalid_message');
  assert.match(String(other['message']), /not finished/);
  // Both were dropped: the rest of the first update alone is not a valid update.
  const rest = await send(alice, 'doc:one', 'update', update.subarray(20_000), false);
  assert.equal(rest['code'], 'invalid_message');
  assert.equal(hub.hub.documents.get('doc:one')!.doc.getText('text').length, 0);

  for (const kind of ['sync1', 'awareness']) {
    const answer = await send(alice, 'doc:one', kind, Uint8Array.of(0), true);
    assert.equal(answer['code'], 'invalid_message', kind);
  }

  const viewer = await openClient(t, hub, 'vic');
  const v = await openReplica(viewer, 'ro:doc');
  t.after(() => v.destroy());
  const refused = await send(viewer, 'ro:doc', 'sync2', update.subarray(0, 20_000), true);
  assert.equal(refused['code'], 'forbidden');
});
