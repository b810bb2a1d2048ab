// Documents failover behind the committed nginx config: two `serve` nodes over one Redis (broker and document store),
// two SDK document providers editing through nginx, one on each node. kill -9 the node of one of them: it reconnects
// through nginx to the other node, its offline edits merge, both providers converge, and the store holds every update
// the killed node had acknowledged (a third client, connected to that node directly, counts its acknowledgements).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { RedisDocumentStore } from '../../src/broker/index.ts';
import { Client } from '../../src/client/index.ts';
import { createDocumentProvider, type DocumentProvider } from '../../src/client/documents.ts';
import { ClusterClient, clusterToken, sourceAddress } from './harness/client.ts';
import { connectionCounts, startCluster } from './harness/cluster.ts';
import { clusterConfig, startRedis } from './harness/nodes.ts';

const CHANNEL = 'doc:failover';
const RECONNECT = { minDelayMs: 50, maxDelayMs: 300, factor: 2 };

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const text = (p: DocumentProvider): string => p.doc.getText('text').toString();

test('nginx: kill -9 the node of one of two document providers: it reconnects to the other node, both converge, nothing the dead node acknowledged is lost', {
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis(t);
  const base = clusterConfig();
  const config = {
    ...base,
    namespaces: { ...(base['namespaces'] as Record<string, unknown>), doc: { document: true } },
    // The Redis of --broker: one store every node shares.
    documents: { store: 'redis' },
  };
  const cluster = await startCluster(t, { proxy: 'nginx', broker: redis.url, count: 2, config });

  // Providers through nginx, from source addresses that ip_hash sends to different nodes.
  const placed: { provider: DocumentProvider; client: Client; node: number }[] = [];
  for (let i = 1; i <= 64 && placed.length < 2; i++) {
    const before = await connectionCounts(cluster.nodes);
    const localAddress = sourceAddress(i);
    const client = new Client({
      url: cluster.proxy.wsUrl,
      transport: (url, protocols) => new WebSocket(url, protocols, { localAddress }) as never,
      token: await clusterToken(`editor${i}`),
      reconnect: RECONNECT,
    });
    t.after(() => client.close());
    await client.connect();
    const after = await connectionCounts(cluster.nodes);
    const node = after.findIndex((n, k) => n === before[k]! + 1);
    if (node === -1 || placed.some((p) => p.node === node)) {
      client.close();
      await until('the extra connection closed', async () => {
        const now = await connectionCounts(cluster.nodes);
        return now.every((n, k) => n === before[k]);
      });
      continue;
    }
    const provider = createDocumentProvider(client, CHANNEL);
    t.after(() => provider.destroy());
    placed.push({ provider, client, node });
  }
  assert.equal(placed.length, 2, 'one provider on each node');
  const [moving, staying] = placed as [(typeof placed)[0], (typeof placed)[0]];
  const victim = cluster.nodes[moving.node]!;
  await until('both providers synced', () => moving.provider.synced && staying.provider.synced);

  for (let i = 0; i < 20; i++) {
    moving.provider.doc.getText('text').insert(text(moving.provider).length, `m${i};`);
    staying.provider.doc.getText('text').insert(0, `s${i};`);
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 20));
  }
  await until(
    'the providers converged before the kill',
    () => text(moving.provider) === text(staying.provider) && text(moving.provider).length > 0,
  );

  // The moving provider notices the kill (sync false) before it syncs again on the other node.
  let lostSync = false;
  moving.provider.on('sync', (synced) => {
    if (!synced) lostSync = true;
  });

  // A client of the victim node itself (no proxy, no reconnect) writes with rids: each reply means stored.
  const direct = new ClusterClient({
    url: `ws://127.0.0.1:${victim.port}/ws`,
    user: 'direct',
    reconnect: false,
  });
  t.after(() => direct.close());
  await direct.start();
  assert.equal((await direct.request({ type: 'subscribe', channel: CHANNEL })).type, 'subscribed');
  const source = new Y.Doc();
  const directUpdates: Uint8Array[] = [];
  source.on('update', (u: Uint8Array) => directUpdates.push(u));
  let acknowledged = 0;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    source.getArray<string>('direct').push([`d${i}`]);
    const update = directUpdates.at(-1)!;
    sends.push(
      direct
        .request({ type: 'doc', channel: CHANNEL, kind: 'update', data: Buffer.from(update).toString('base64') })
        .then((reply) => {
          if (reply.type === 'reply') acknowledged++;
        }),
    );
    // The kill lands in the middle of the direct writes: some acknowledged, some cut off.
    if (i === 25) {
      await Promise.all(sends.slice(0, 20));
      victim.child.signal('SIGKILL');
    }
  }
  await Promise.all(sends);
  await victim.child.exited;
  assert.ok(acknowledged >= 20, `${acknowledged} direct updates acknowledged before the kill`);

  // Edits while the moving provider is between nodes, and after.
  for (let i = 0; i < 10; i++) {
    moving.provider.doc.getText('text').insert(0, `offline${i};`);
    staying.provider.doc.getText('text').insert(text(staying.provider).length, `during${i};`);
  }
  await until(
    'the moving provider lost its node, reconnected through nginx and synced again',
    () => lostSync && moving.provider.synced,
    30_000,
  );
  assert.ok(moving.client.state === 'connected');
  const survivor = cluster.nodes[staying.node]!;
  assert.deepEqual(
    await connectionCounts([survivor]),
    [2],
    'both providers are on the surviving node (the direct client is gone)',
  );
  await until(
    'both providers converged after the failover',
    () => text(moving.provider) === text(staying.provider),
    30_000,
  );
  const final = text(moving.provider);
  for (let i = 0; i < 20; i++) {
    assert.ok(final.includes(`m${i};`) && final.includes(`s${i};`), `edit ${i} from before the kill`);
  }
  for (let i = 0; i < 10; i++) {
    assert.ok(final.includes(`offline${i};`) && final.includes(`during${i};`), `edit ${i} from during the failover`);
  }

  // The store (shared Redis) holds every update the killed node acknowledged, and the providers' edits.
  const store = await RedisDocumentStore.connect({ url: redis.url });
  t.after(() => store.close());
  const stored = new Y.Doc();
  await until(
    'the store holds the converged text',
    async () => {
      const loaded = await store.load(CHANNEL);
      const doc = new Y.Doc();
      if (loaded.snapshot !== null) Y.applyUpdate(doc, loaded.snapshot);
      for (const u of loaded.updates) Y.applyUpdate(doc, u);
      Y.applyUpdate(stored, Y.encodeStateAsUpdate(doc));
      return doc.getText('text').toString() === final;
    },
    10_000,
  );
  const direct_ = stored.getArray<string>('direct').toArray();
  assert.ok(
    direct_.length >= acknowledged,
    `${direct_.length} direct updates stored, ${acknowledged} acknowledged by the killed node`,
  );
  assert.deepEqual(
    direct_.slice(0, acknowledged),
    Array.from({ length: acknowledged }, (_, i) => `d${i}`),
  );
  t.diagnostic(
    JSON.stringify({ acknowledgedByKilledNode: acknowledged, stored: direct_.length, finalChars: final.length }),
  );
});
