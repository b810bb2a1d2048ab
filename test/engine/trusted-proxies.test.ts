// The client's address behind trusted proxies: X-Forwarded-For is believed only from a configured proxy, walked
// from the right; per-address limits and session addresses follow it; a spoofed header from anyone else changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TrustedProxies } from '../../src/engine/index.ts';
import { handshakeStatus, openRaw, startHub } from '../helpers/realtime.ts';

test('resolve: a trusted peer hands over to the rightmost untrusted hop; an untrusted peer is the client', () => {
  const p = new TrustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
  assert.equal(p.resolve('127.0.0.1', '203.0.113.9'), '203.0.113.9');
  assert.equal(
    p.resolve('10.1.2.3', '198.51.100.7, 203.0.113.9, 10.0.0.7'),
    '203.0.113.9',
    'the client-supplied left part is not believed',
  );
  assert.equal(p.resolve('::ffff:127.0.0.1', '203.0.113.9'), '203.0.113.9', 'IPv4-mapped peers are unwrapped');
  assert.equal(p.resolve('fd00::1', '2001:db8::5'), '2001:db8::5');
  assert.equal(
    p.resolve('198.51.100.1', '203.0.113.9'),
    '198.51.100.1',
    'an untrusted peer cannot name another client',
  );
  assert.equal(p.resolve('127.0.0.1', undefined), '127.0.0.1', 'no header: the proxy itself');
  assert.equal(p.resolve('127.0.0.1', '10.0.0.2, 10.0.0.3'), '10.0.0.2', 'a chain of proxies only: the farthest one');
  assert.equal(p.resolve('127.0.0.1', ['203.0.113.9', '10.0.0.3']), '203.0.113.9', 'repeated headers read as one list');
  assert.equal(p.resolve('127.0.0.1', '203.0.113.9:4711'), '203.0.113.9', 'a port appended by a proxy is dropped');
  assert.equal(p.resolve('127.0.0.1', '[2001:db8::5]:443'), '2001:db8::5');
});

test('resolve: malformed or oversized headers end the chain at the last trusted hop', () => {
  const p = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);
  assert.equal(p.resolve('127.0.0.1', 'unknown'), '127.0.0.1');
  assert.equal(p.resolve('127.0.0.1', '203.0.113.9, garbage, 10.0.0.7'), '10.0.0.7');
  assert.equal(p.resolve('127.0.0.1', ''), '127.0.0.1');
  assert.equal(
    p.resolve('127.0.0.1', `${'1.2.3.4, '.repeat(1000)}203.0.113.9`),
    '127.0.0.1',
    'longer than 4 KiB: ignored',
  );
  const none = new TrustedProxies([]);
  assert.equal(none.enabled, false);
  assert.equal(none.resolve('127.0.0.1', '203.0.113.9'), '127.0.0.1', 'no trusted proxies: never believed');
});

test('configuration: entries that are not addresses or ranges are refused with the entry named', () => {
  for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/x', 'fd00::/129', '', '1.2.3']) {
    assert.throws(
      () => new TrustedProxies([bad]),
      (err: Error) => err instanceof TypeError && err.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
  assert.equal(new TrustedProxies(['::1', '0.0.0.0/0']).trusts('8.8.8.8'), true);
});

test('property: whatever an untrusted peer sends, it is its own client address', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8']);
  const ipv4 = fc
    .tuple(fc.integer({ min: 11, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255))
    .map((o) => o.join('.'));
  fc.assert(
    fc.property(ipv4, fc.array(fc.oneof(ipv4, fc.string()), { maxLength: 8 }), (peer, hops) => {
      return proxies.resolve(peer, hops.join(', ')) === peer;
    }),
  );
});

test('property: behind a chain of trusted proxies the client is the entry left of them', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8']);
  const octet = fc.nat(255);
  const client = fc.tuple(fc.integer({ min: 11, max: 223 }), octet, octet, octet).map((o) => o.join('.'));
  const proxy = fc.tuple(octet, octet, octet).map((o) => `10.${o.join('.')}`);
  fc.assert(
    fc.property(
      fc.array(fc.string(), { maxLength: 4 }),
      client,
      fc.array(proxy, { maxLength: 6 }),
      proxy,
      (spoofed, real, chain, peer) => {
        return proxies.resolve(peer, [...spoofed, real, ...chain].join(', ')) === real;
      },
    ),
  );
});

test('hub: behind a trusted proxy, per-address caps and rates apply per forwarded client, not to the proxy', async (t) => {
  const hub = await startHub(t, {
    trustedProxies: ['127.0.0.1'],
    connectionsPerMinutePerIp: 100,
    engine: { maxConnectionsPerIp: 2 },
  });
  const as = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } });
  const a1 = await openRaw(t, hub.url, as('203.0.113.1'));
  await openRaw(t, hub.url, as('203.0.113.1'));
  assert.equal(await handshakeStatus(hub.url, as('203.0.113.1')), 503, 'a third connection of one client is refused');
  assert.equal(
    await handshakeStatus(hub.url, as('198.51.100.8, 203.0.113.2')),
    101,
    'another client through the same proxy is not',
  );
  await openRaw(t, hub.url, as('203.0.113.3'));
  const addresses = [...hub.hub.sessions].map((s) => s.remoteAddress).sort();
  assert.ok(
    addresses.includes('203.0.113.1') && addresses.includes('203.0.113.3'),
    `sessions carry the client address: ${addresses.join(' ')}`,
  );
  a1.ws.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await handshakeStatus(hub.url, as('203.0.113.1')), 101, 'a closed connection frees its slot');
});

test('hub: without trusted proxies a spoofed X-Forwarded-For changes nothing', async (t) => {
  const hub = await startHub(t, { connectionsPerMinutePerIp: 2 });
  assert.equal(await handshakeStatus(hub.url, { headers: { 'X-Forwarded-For': '203.0.113.1' } }), 101);
  assert.equal(await handshakeStatus(hub.url, { headers: { 'X-Forwarded-For': '203.0.113.2' } }), 101);
  assert.equal(
    await handshakeStatus(hub.url, { headers: { 'X-Forwarded-For': '203.0.113.3' } }),
    429,
    'all three count as 127.0.0.1',
  );
  const c = await openRaw(t, hub.url).catch(() => null);
  assert.equal(c, null, 'still limited');
});

test("engine: trustedProxies drive maxConnectionsPerIp, remoteAddress and the accept hook's address; untrusted peers are themselves", async (t) => {
  const { WebSocketServer } = await import('../../src/engine/index.ts');
  const { default: WsClient } = await import('ws');
  const seen: string[] = [];
  const make = async (trustedProxies: string[]) => {
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxConnectionsPerIp: 1,
      trustedProxies,
      accept: (_req, info) => {
        seen.push(info.address);
      },
    });
    const { port } = await wss.listen();
    t.after(() => wss.close({ timeoutMs: 200 }));
    return { wss, url: `ws://127.0.0.1:${port}/` };
  };
  const open = (url: string, xff: string) =>
    new Promise<number>((resolve) => {
      const ws = new WsClient(url, { headers: { 'X-Forwarded-For': xff } });
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      ws.on('error', () => {});
      t.after(() => ws.terminate());
    });
  const trusted = await make(['127.0.0.1']);
  assert.equal(await open(trusted.url, '203.0.113.1'), 101);
  assert.equal(await open(trusted.url, '203.0.113.1'), 503, 'the cap counts the forwarded client');
  assert.equal(await open(trusted.url, '203.0.113.2'), 101, 'another client behind the same proxy');
  assert.deepEqual([...trusted.wss.clients].map((ws) => ws.remoteAddress).sort(), ['203.0.113.1', '203.0.113.2']);
  assert.deepEqual(seen.slice(0, 1), ['203.0.113.1']);

  const untrusted = await make([]);
  assert.equal(await open(untrusted.url, '203.0.113.9'), 101);
  assert.equal(
    await open(untrusted.url, '203.0.113.10'),
    503,
    'a spoofed header from an untrusted peer changes nothing',
  );
  assert.match(seen.at(-1)!, /127\.0\.0\.1$/);
});
