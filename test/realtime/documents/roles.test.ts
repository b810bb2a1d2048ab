// Documents, roles: reading is the subscribe operation, writing the publish operation. A read-only user receives
// every change but its own updates are refused with forbidden and never applied; its quiet sync answer is no error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub } from '../../helpers/realtime.ts';

const NAMESPACES = { doc: { document: true, roles: { publish: ['editor'] } } };

test('a read-only user cannot change the document, and still follows it', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const editor = await openClient(t, hub, 'erin', { roles: ['editor'] });
  const viewer = await openClient(t, hub, 'vic');
  const e = await openReplica(editor, 'doc:spec');
  e.insert(0, 'written by erin');
  await editor.request({ type: 'ping' });
  const v = await openReplica(viewer, 'doc:spec');
  t.after(() => {
    e.destroy();
    v.destroy();
  });
  assert.equal(v.text, 'written by erin');
  assert.deepEqual(v.errors, [], 'the viewer’s sync2 answer changed nothing and was not an error');

  v.insert(0, 'vandal ');
  const refused = await viewer.next((m) => m.type === 'error', 5000);
  assert.equal(refused['code'], 'forbidden');
  const rid = viewer.rid();
  const doc = new Y.Doc();
  doc.getText('text').insert(0, 'sneaky');
  viewer.send({
    type: 'doc',
    rid,
    channel: 'doc:spec',
    kind: 'sync2',
    data: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
  });
  assert.equal((await viewer.answer(rid))['code'], 'forbidden', 'a sync2 that carries changes is refused too');

  e.insert(e.text.length, ', edited');
  await v.until(() => v.text.endsWith(', edited'), 5000, 'viewer sees the editor');
  await e.until(() => e.text === 'written by erin, edited', 5000, 'editor unchanged by the viewer');
  const live = hub.hub.documents.get('doc:spec')!;
  assert.equal(live.doc.getText('text').toString(), 'written by erin, edited', 'the server never applied it');
});

test('a namespace without client publish is read-only for everyone but still opens', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, allowClientPublish: false } } });
  const alice = await openClient(t, hub, 'alice');
  const a = await openReplica(alice, 'doc:frozen');
  t.after(() => a.destroy());
  a.insert(0, 'no');
  const refused = await alice.next((m) => m.type === 'error', 5000);
  assert.equal(refused['code'], 'forbidden');
  assert.equal(hub.hub.documents.get('doc:frozen')!.doc.getText('text').toString(), '');
});

test('a user without the subscribe role cannot open the document', async (t) => {
  const hub = await startHub(t, { namespaces: { doc: { document: true, roles: { subscribe: ['staff'] } } } });
  const alice = await openClient(t, hub, 'alice');
  assert.equal((await alice.request({ type: 'subscribe', channel: 'doc:secret' }))['code'], 'forbidden');
  assert.equal(hub.hub.documents.get('doc:secret'), undefined);
});
