// post() against a raw TCP backend that controls exactly when a keep-alive connection dies: a request that meets a
// connection the backend dropped while it sat idle is sent once more on a fresh one; a backend that drops every
// request fails the call once retried (no loop).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { CallDeadline, post, postPool, postTarget } from '../../../src/integrations/proxy/post.ts';

const ANSWER =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}';

/** A backend that answers the first `answered` requests of each connection, then destroys it at the next one. */
async function rawBackend(answered: number): Promise<{ url: string; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let requests = 0;
    socket.on('data', (chunk) => {
      // One small request per read (each body is 2 bytes, and the client waits for each answer).
      if (!chunk.toString('latin1').startsWith('POST ')) return;
      requests++;
      if (requests > answered) socket.resetAndDestroy();
      else socket.write(ANSWER);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, connections: () => connections, close: () => server.close() };
}

test('a keep-alive connection reset before any answer: the request is sent once more on a fresh connection', async (t) => {
  const backend = await rawBackend(1);
  const url = new URL(backend.url);
  const pool = postPool(url.origin, 1);
  t.after(async () => {
    await pool.destroy();
    backend.close();
  });
  const target = postTarget(url, pool);
  const first = await post(target, { 'content-type': 'application/json' }, '{}', new CallDeadline(), 1024);
  assert.equal(first.ok && first.status, 200);
  await new Promise((resolve) => setTimeout(resolve, 20));
  // The connection is reused, dropped by the backend at this request, and the retry lands on a new connection.
  const second = await post(target, { 'content-type': 'application/json' }, '{}', new CallDeadline(), 1024);
  assert.equal(second.ok && second.status, 200, JSON.stringify(second));
  assert.equal(backend.connections(), 2);
});

test('a backend that resets every request: the call fails unreachable after one retry', async (t) => {
  const backend = await rawBackend(0);
  const url = new URL(backend.url);
  const pool = postPool(url.origin, 1);
  t.after(async () => {
    await pool.destroy();
    backend.close();
  });
  const result = await post(postTarget(url, pool), {}, '{}', new CallDeadline(), 1024);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.failure, 'unreachable');
  assert.equal(backend.connections(), 2, 'the request and its one retry');
});
