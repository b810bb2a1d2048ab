// Documents, y-websocket compatibility: the real `WebsocketProvider` (y-websocket 3.1.0) at /yjs/<name> edits one
// document together with a Switchboard-protocol client on `doc:<name>`; same tokens, roles and limits; bad frames close.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { type DocReplica, openReplica } from '../../helpers/doc-replica.ts';
import { openClient, startHub, type Hub } from '../../helpers/realtime.ts';

const NAMESPACES = { doc: { document: true, roles: { publish: ['editor'] } }, chat: {} };

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function provider(t: TestContext, hub: Hub, room: string, token: string | null): WebsocketProvider {
  const doc = new Y.Doc();
  const p = new WebsocketProvider(`ws://127.0.0.1:${hub.port}/yjs`, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    params: token === null ? {} : { token },
    disableBc: true,
    maxBackoffTime: 200,
  });
  t.after(() => {
    p.destroy();
    doc.destroy();
  });
  return p;
}

/** Opens a raw WebSocket on a path and resolves with how it closed. */
function closeOf(url: string, send: (ws: WebSocket) => void): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => send(ws));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

test('a y-websocket WebsocketProvider and a Switchboard client edit one document and end with the same text', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES, yjsNamespace: 'doc' });
  const p = provider(t, hub, 'readme', await hub.token('yuki', { roles: ['editor'] }));
  await waitFor(() => p.synced, 'the provider synced');
  const erin = await openClient(t, hub, 'erin', { roles: ['editor'] });
  const e = await openReplica(erin, 'doc:readme');
  t.after(() => e.destroy());
  const text = p.doc.getText('text');
  for (let i = 0; i < 10; i++) {
    text.insert(0, 'y');
    e.insert(e.text.length, 's');
  }
  await waitFor(() => text.toString().length === 20 && text.toString() === e.text, 'both converged');
  assert.equal(hub.hub.documents.get('doc:readme')!.doc.getText('text').toString(), e.text, 'and the server');

  p.awareness.setLocalStateField('user', { name: 'yuki' });
  await e.until(() => e.awareness.states.get(p.doc.clientID)?.['user']?.name === 'yuki', 5000, 'cursor across');
  e.awareness.setLocalStateField('user', { name: 'erin' });
  await waitFor(() => p.awareness.getStates().get(e.doc.clientID)?.['user']?.name === 'erin', 'cursor back');
  p.disconnect();
  await e.until(() => !e.awareness.states.has(p.doc.clientID), 5000, 'the provider’s cursor removed when it left');
});

test('over /yjs a read-only user receives edits, its own are dropped, its connection stays', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES, yjsNamespace: 'doc' });
  const erin = await openClient(t, hub, 'erin', { roles: ['editor'] });
  const e = await openReplica(erin, 'doc:ro');
  t.after(() => e.destroy());
  e.insert(0, 'original');
  const p = provider(t, hub, 'ro', await hub.token('vic'));
  await waitFor(() => p.synced && p.doc.getText('text').toString() === 'original', 'viewer synced');
  p.doc.getText('text').insert(0, 'vandal ');
  e.insert(e.text.length, '!');
  await waitFor(() => p.doc.getText('text').toString().endsWith('!'), 'viewer still follows');
  assert.equal(e.text, 'original!');
  assert.equal(hub.hub.documents.get('doc:ro')!.doc.getText('text').toString(), 'original!');
  assert.equal(p.wsconnected, true);
});

test('anonymous access follows the authenticator: refused without a token, read-only roles with one', async (t) => {
  const closed = await startHub(t, { namespaces: NAMESPACES, yjsNamespace: 'doc' });
  const refused = await closeOf(`ws://127.0.0.1:${closed.port}/yjs/x`, () => {});
  assert.equal(refused.code, 4502);
  const token = await closed.token('alice');
  const badName = await closeOf(`ws://127.0.0.1:${closed.port}/yjs/a%20b?token=${token}`, () => {});
  assert.equal(badName.code, 1008, 'an invalid channel name');
  const roles = await startHub(t, {
    namespaces: { doc: { document: true, roles: { subscribe: ['staff'] } } },
    yjsNamespace: 'doc',
  });
  const forbidden = await closeOf(`ws://127.0.0.1:${roles.port}/yjs/x?token=${await roles.token('bob')}`, () => {});
  assert.equal(forbidden.code, 4504);
});

test('malformed y-websocket frames close the connection with 1007 or 1003; the server keeps serving', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES, yjsNamespace: 'doc' });
  const url = `ws://127.0.0.1:${hub.port}/yjs/bad?token=${await hub.token('erin', { roles: ['editor'] })}`;
  const cases: [string, (ws: WebSocket) => void, number][] = [
    ['an unknown message type', (ws) => ws.send(new Uint8Array([7, 1, 2])), 1007],
    ['an unknown sync step', (ws) => ws.send(new Uint8Array([0, 9, 0])), 1007],
    ['a truncated update', (ws) => ws.send(new Uint8Array([0, 2, 50, 1, 2])), 1007],
    ['garbage inside a well-framed update', (ws) => ws.send(new Uint8Array([0, 2, 4, 9, 9, 9, 9])), 1007],
    ['a text frame', (ws) => ws.send('hello'), 1003],
  ];
  for (const [what, send, code] of cases) {
    const end = await closeOf(url, send);
    assert.equal(end.code, code, what);
  }
  const p = provider(t, hub, 'bad', await hub.token('erin', { roles: ['editor'] }));
  await waitFor(() => p.synced, 'a good provider still syncs');
});

test('/yjs is not served unless yjsNamespace is set', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/yjs/readme`);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  assert.equal(status, 404);
});

test('one document shared by JSON, MessagePack and y-websocket peers: every edit reaches every peer of every format', async (t) => {
  // A fan-out encodes each format once and hands each frame to the engine's broadcast for all its peers.
  const hub = await startHub(t, { namespaces: NAMESPACES, yjsNamespace: 'doc' });
  const replicas: DocReplica[] = [];
  for (const [user, protocols] of [
    ['json1', undefined],
    ['json2', undefined],
    ['pack1', ['switchboard.v1.msgpack']],
    ['pack2', ['switchboard.v1.msgpack']],
  ] as const) {
    const client = await openClient(t, hub, user, {
      roles: ['editor'],
      ...(protocols ? { protocols: [...protocols] } : {}),
    });
    const replica = await openReplica(client, 'doc:mixed');
    t.after(() => replica.destroy());
    replicas.push(replica);
  }
  const providers: WebsocketProvider[] = [];
  for (const user of ['yws1', 'yws2']) {
    const p = provider(t, hub, 'mixed', await hub.token(user, { roles: ['editor'] }));
    await waitFor(() => p.synced, `${user} synced`);
    providers.push(p);
  }
  for (let i = 0; i < 3; i++) {
    for (const [n, r] of replicas.entries()) r.insert(0, String(n));
    for (const [n, p] of providers.entries()) p.doc.getText('text').insert(0, String(4 + n));
  }
  const expected = 18;
  const texts = () => [...replicas.map((r) => r.text), ...providers.map((p) => p.doc.getText('text').toString())];
  await waitFor(() => texts().every((s) => s.length === expected && s === texts()[0]), 'every peer has every edit');
  const live = hub.hub.documents.get('doc:mixed')!;
  assert.equal(live.doc.getText('text').toString(), texts()[0], 'and the server');
  for (const r of replicas) assert.deepEqual(r.errors, []);
});
