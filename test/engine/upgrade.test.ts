// Tests of src/engine/upgrade.ts: accept hook, subprotocol selection, handshake deadline, rejections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, HandshakeError } from '../../src/engine/index.ts';
import { RawClient, expectHttpStatus, handshakeRequest } from '../helpers/raw.ts';
import { nextConnection, startServer, waitFor } from '../helpers/engine-fixtures.ts';

test('accept hook rejects with its status and headers', async (t) => {
  const { port } = await startServer(t, {
    accept: () => ({ status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="sb"' }, body: 'no token' }),
  });
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({}, port));
  const head = await expectHttpStatus(client, 401);
  assert.equal(head.headers['www-authenticate'], 'Bearer realm="sb"');
});

test('accept hook returning false answers 403; throwing answers 500 and reports the error', async (t) => {
  let mode: 'false' | 'throw' = 'false';
  const { wss, url } = await startServer(t, {
    accept: () => {
      if (mode === 'throw') throw new Error('hook bug');
      return false;
    },
  });
  const errors: Error[] = [];
  wss.on('error', (e) => errors.push(e));
  await assert.rejects(connect(url), (err: unknown) => err instanceof HandshakeError && err.status === 403);
  mode = 'throw';
  await assert.rejects(connect(url), (err: unknown) => err instanceof HandshakeError && err.status === 500);
  assert.equal(errors[0]?.message, 'hook bug');
});

test('async accept hook sees the request and protocols; its context lands on the socket', async (t) => {
  const seen: Array<{ auth: string | undefined; protocols: readonly string[]; origin: string | null }> = [];
  const { wss, url } = await startServer(t, {
    accept: async (req, info) => {
      await new Promise((r) => setTimeout(r, 10));
      seen.push({ auth: req.headers['authorization'], protocols: info.protocols, origin: info.origin });
      return { context: { user: 'ada' }, protocol: 'v2', headers: { 'X-Served-By': 'sb' } };
    },
  });
  const conn = nextConnection(wss);
  const ws = await connect(url, {
    headers: { Authorization: 'Bearer t' },
    protocols: ['v1', 'v2'],
    origin: 'http://app.test',
  });
  const server = await conn;
  assert.deepEqual(server.context, { user: 'ada' });
  assert.equal(server.protocol, 'v2');
  assert.equal(ws.protocol, 'v2');
  assert.deepEqual(seen, [{ auth: 'Bearer t', protocols: ['v1', 'v2'], origin: 'http://app.test' }]);
  ws.close();
});

test('handleProtocols picks the subprotocol from the client list (RFC 6455 §4.2.2)', async (t) => {
  const { wss, url } = await startServer(t, {
    handleProtocols: (protocols) => (protocols.includes('chat') ? 'chat' : null),
  });
  const conn = nextConnection(wss);
  const ws = await connect(url, { protocols: ['superchat', 'chat'] });
  assert.equal(ws.protocol, 'chat');
  assert.equal((await conn).protocol, 'chat');
  ws.close();
  const plain = await connect(url);
  assert.equal(plain.protocol, '');
  plain.close();
});

test('server never selects a subprotocol the client did not offer (RFC 6455 §4.2.2): 500 instead', async (t) => {
  const { wss, url } = await startServer(t, { handleProtocols: () => 'unoffered' });
  wss.on('error', () => {});
  await assert.rejects(
    connect(url, { protocols: ['a'] }),
    (err: unknown) => err instanceof HandshakeError && err.status === 500,
  );
});

test('no subprotocol chosen for a client that requires one: the client fails the handshake', async (t) => {
  const { url } = await startServer(t);
  await assert.rejects(
    connect(url, { protocols: ['needed'] }),
    (err: unknown) => err instanceof HandshakeError && err.status === 101,
  );
});

test('handshake deadline: a request trickled byte by byte is cut off (HS-17 slowloris)', async (t) => {
  const { port } = await startServer(t, { handshakeTimeoutMs: 300 });
  const client = await RawClient.connect(port);
  const started = Date.now();
  const request = Buffer.from(handshakeRequest({}, port));
  void client.write(request.subarray(0, 20));
  const timer = setInterval(() => void client.write('X'), 50);
  t.after(() => clearInterval(timer));
  assert.equal(await client.waitClosed(3_000), true);
  clearInterval(timer);
  assert.ok(Date.now() - started >= 250, 'not closed before the deadline');
});

test('handshake deadline: a silent TCP connection is closed (HS-18)', async (t) => {
  const { port } = await startServer(t, { handshakeTimeoutMs: 200 });
  const client = await RawClient.connect(port);
  assert.equal(await client.waitClosed(3_000), true);
});

test('handshake deadline covers a hanging accept hook: 408 and closed', async (t) => {
  const { wss, port } = await startServer(t, { handshakeTimeoutMs: 200, accept: () => new Promise(() => {}) });
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({}, port));
  await expectHttpStatus(client, 408, 3_000);
  assert.equal(wss.clients.size, 0);
});

test('a handshake that completes in time is not cut by the deadline afterwards', async (t) => {
  const { wss, url } = await startServer(t, { handshakeTimeoutMs: 150 });
  const ws = await connect(url);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(ws.readyState, ws.OPEN);
  assert.equal(wss.clients.size, 1);
  ws.close();
});

test('a pending accept hook whose peer disconnects releases its capacity slot', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { wss, port, url } = await startServer(t, { maxConnections: 1, accept: () => gate });
  const client = await RawClient.connect(port);
  await client.write(handshakeRequest({}, port));
  await new Promise((r) => setTimeout(r, 30));
  client.destroy();
  await client.waitClosed();
  await new Promise((r) => setTimeout(r, 30));
  release();
  const ws = await connect(url);
  await waitFor(() => wss.clients.size === 1, 'one client');
  ws.close();
});

test('every engine refusal reason is listed in docs/errors.md (docs/architecture.md, Conventions)', async () => {
  const { readFileSync } = await import('node:fs');
  const { UPGRADE_REJECT_REASONS } = await import('../../src/engine/index.ts');
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const code of [...UPGRADE_REJECT_REASONS, 'WS_ERR_INVALID_RESPONSE'])
    assert.ok(doc.includes(`\`${code}\``), `${code} missing from docs/errors.md`);
});
