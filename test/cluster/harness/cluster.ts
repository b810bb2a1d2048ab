// Test harness: N `switchboard serve` nodes behind the committed nginx or HAProxy config, and clients spread over them.
import { ClusterClient, sourceAddress, type ClusterClientOptions } from './client.ts';
import { startNode, type Node } from './nodes.ts';
import type { Cleanup } from './process.ts';
import { startProxy, type Proxy as RunningProxy, type ProxyKind, type ProxyOptions } from './proxy.ts';

/** A running cluster. */
export interface Cluster {
  readonly nodes: Node[];
  readonly proxy: RunningProxy;
}

/** Starts `count` nodes on `broker` (in parallel) and the proxy in front of them. */
export async function startCluster(
  t: Cleanup,
  options: {
    proxy: ProxyKind;
    broker: string;
    count: number;
    config?: Record<string, unknown>;
    proxyOptions?: ProxyOptions;
  },
): Promise<Cluster> {
  const nodes = await Promise.all(
    Array.from({ length: options.count }, (_, i) =>
      startNode(t, `n${i + 1}`, {
        broker: options.broker,
        ...(options.config === undefined ? {} : { config: options.config }),
      }),
    ),
  );
  const proxy = await startProxy(
    t,
    options.proxy,
    nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
    options.proxyOptions,
  );
  return { nodes, proxy };
}

/** Connection counts of every node, in node order (-1 for a node that does not answer). */
export async function connectionCounts(nodes: readonly Node[]): Promise<number[]> {
  return Promise.all(
    nodes.map(async (n) => {
      try {
        return Number((await n.stats())['connections']);
      } catch {
        return -1;
      }
    }),
  );
}

/** A client with the index of the node it landed on. */
export interface Placed {
  readonly client: ClusterClient;
  readonly node: number;
}

/**
 * Opens clients through the proxy from source addresses 127.0.1.1, 127.0.2.1, ... one at a time, finds which node
 * each landed on from the nodes' connection counts, and keeps `perNode` on every live node (extra ones are closed).
 * @throws Error when 64 addresses did not reach every node (the proxy is not balancing by source)
 */
export async function spreadClients(
  t: Cleanup,
  cluster: Cluster,
  perNode: number,
  make: (i: number) => Omit<ClusterClientOptions, 'url' | 'localAddress'>,
): Promise<Placed[]> {
  const placed: Placed[] = [];
  const per = cluster.nodes.map(() => 0);
  for (let i = 1; i <= 64 && per.some((n) => n < perNode); i++) {
    const before = await connectionCounts(cluster.nodes);
    const client = new ClusterClient({
      ...make(placed.length),
      url: cluster.proxy.wsUrl,
      localAddress: sourceAddress(i),
    });
    t.after(() => client.close());
    await client.start();
    const after = await connectionCounts(cluster.nodes);
    const node = after.findIndex((n, k) => n === before[k]! + 1);
    if (node === -1) throw new Error(`Cannot tell where client ${i} landed: ${before} -> ${after}`);
    if (per[node]! >= perNode) {
      client.close();
      await waitCounts(cluster.nodes, before);
      continue;
    }
    per[node]!++;
    placed.push({ client, node });
  }
  if (per.some((n) => n < perNode))
    throw new Error(`64 source addresses did not reach every node ${per.join('/')} (${cluster.proxy.kind})`);
  return placed;
}

async function waitCounts(nodes: readonly Node[], expected: readonly number[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const now = await connectionCounts(nodes);
    if (now.every((n, i) => n === expected[i])) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('connection counts did not settle');
}
