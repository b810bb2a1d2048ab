// Benchmark server of bench/feeds-semantics.mjs: a RealtimeServer (MemoryBroker, anonymous clients) with one feed
// namespace configured from the environment (BATCH, DEFLATE, CONFLATE, POLICY, SLOW_BYTES), and a publisher driven by
// stdin lines: `burst <count> <keys> <size>` publishes as fast as it can, `rate <perSecond> <seconds> <keys> <size>` at
// a fixed rate (each answered `done` when published), `mark` answers `mark <bytes written by the process so far> <CPU ms
// so far> <open connections>` (the harness takes the difference of two marks, after its clients received everything).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createAuthenticator, createNamespaces, RealtimeServer } from '../../src/realtime/index.ts';

const env = process.env;
const broker = new MemoryBroker();
const hub = new RealtimeServer({
  port: 0,
  broker,
  namespaces: createNamespaces({
    feed: {
      presence: false,
      joinLeave: false,
      typing: false,
      historySize: 100,
      recoverOnJoin: 0,
      slowConsumerPolicy: (env['POLICY'] ?? 'close') as 'close' | 'drop' | 'wait',
      conflate: env['CONFLATE'] === '1',
      batchPublications: env['BATCH'] === '1',
    },
  }),
  authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  connectionsPerMinutePerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
  slowConsumerBytes: Number(env['SLOW_BYTES'] ?? 262_144),
  engine: { pingIntervalMs: 0, handshakeTimeoutMs: 60_000 },
  authTimeoutMs: 60_000,
  ...(env['DEFLATE'] === '1' ? { perMessageDeflate: { threshold: 64 } } : {}),
});
const address = await hub.wss.listen();
process.stdout.write(`listening ${address.port}\n`);

/** Bytes this process handed to write syscalls (sockets included). */
function written(): number {
  const line = readFileSync('/proc/self/io', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('wchar:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

function payload(i: number, size: number): { i: number; t: number; pad: string } {
  return { i, t: Date.now(), pad: 'p'.repeat(size) };
}

async function burst(count: number, keys: number, size: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await hub.publish('feed:q', payload(i, size), { key: `k${i % keys}` });
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
}

async function rate(perSecond: number, seconds: number, keys: number, size: number): Promise<void> {
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const start = performance.now();
  let i = 0;
  for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
    for (let j = 0; j < perTick; j++, i++) await hub.publish('feed:q', payload(i, size), { key: `k${i % keys}` });
    const wait = start + (tick + 1) * tickMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const nums = args.map(Number);
  if (cmd === 'mark') {
    const cpu = process.cpuUsage();
    process.stdout.write(`mark ${written()} ${Math.round((cpu.user + cpu.system) / 1000)} ${hub.connectionCount}\n`);
    continue;
  }
  if (cmd === 'quit') break;
  if (cmd === 'burst') await burst(nums[0]!, nums[1]!, nums[2]!);
  else if (cmd === 'rate') await rate(nums[0]!, nums[1]!, nums[2]!, nums[3]!);
  process.stdout.write('done\n');
}
await hub.drain({ timeoutMs: 100 });
process.exit(0);
