// Tests of src/engine/attach.ts: one upgrade router per http.Server, TLS handshake deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { attachRoute, boundTlsHandshakes } from '../../src/engine/attach.ts';
import { RawClient, expectHttpStatus, handshakeRequest } from '../helpers/raw.ts';
import { selfSignedCert } from '../helpers/engine-fixtures.ts';

async function listen(t: { after(fn: () => unknown): void }, server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

test('routes go to the first route whose path matches; the last detach removes the listener', async (t) => {
  const server = http.createServer();
  const port = await listen(t, server);
  const seen: string[] = [];
  const route = (name: string) => ({
    shouldHandle: (req: http.IncomingMessage) => req.url === `/${name}`,
    handleUpgrade: (_req: http.IncomingMessage, socket: Duplex) => {
      seen.push(name);
      socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
  });
  const detachA = attachRoute(server, route('a'));
  const detachB = attachRoute(server, route('b'));
  assert.equal(server.listenerCount('upgrade'), 1);
  for (const path of ['/b', '/a', '/none']) {
    const client = await RawClient.connect(port);
    await client.write(handshakeRequest({ path }, port));
    await expectHttpStatus(client, path === '/none' ? 404 : 418);
  }
  assert.deepEqual(seen, ['b', 'a']);
  detachA();
  assert.equal(server.listenerCount('upgrade'), 1);
  detachB();
  assert.equal(server.listenerCount('upgrade'), 0);
});

test('boundTlsHandshakes closes a connection that never sends a ClientHello, and not a completed one (HS-19)', async (t) => {
  const { key, cert } = selfSignedCert();
  const server = https.createServer({ key, cert }, (_req, res) => res.end('ok'));
  const port = await listen(t, server);
  const baseline = server.listenerCount('secureConnection');
  const untrack = boundTlsHandshakes(server, 200);
  t.after(untrack);
  const silent = await RawClient.connect(port);
  assert.equal(await silent.waitClosed(3_000), true);
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          ca: cert,
          servername: 'localhost',
          agent: new https.Agent({ keepAlive: true }),
        },
        (res) => {
          let s = '';
          res.on('data', (d: Buffer) => (s += d.toString()));
          res.on('end', () => resolve(s));
        },
      )
      .on('error', reject);
  });
  assert.equal(body, 'ok');
  untrack();
  assert.equal(server.listenerCount('secureConnection'), baseline);
});
