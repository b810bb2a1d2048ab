// Quick comparison of the engine's accept paths ('net' vs 'http') and ws on this machine: handshakes/s, server CPU
// per handshake, RSS per idle connection. Not a benchmark of record (bench/ holds those): one load generator in
// Node, no CPU pinning. Bounded: about a minute in all.
// Usage: node --expose-gc --import tsx scripts/measure-accept-path.ts [handshakes=2000] [idle=5000] [rounds=3]
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

type Kind = 'net' | 'http' | 'ws';
interface Stats {
  cpuUs: number;
  rss: number;
  /** V8 heap used plus memory outside it (Buffers, zlib): what the connections hold, without RSS's heap slack. */
  heap: number;
  clients: number;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
/** MEASURE_KINDS=net,http limits the run to those servers (ws is the reference of the ratios). */
const KINDS = (process.env['MEASURE_KINDS'] ?? 'ws,http,net').split(',') as Kind[];

async function serve(kind: Kind): Promise<void> {
  let clients: () => number;
  let port: number;
  if (kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    port = (wss.address() as net.AddressInfo).port;
    clients = () => wss.clients.size;
  } else {
    const { WebSocketServer } = await import('../src/engine/index.ts');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', acceptPath: kind });
    port = (await wss.listen()).port;
    clients = () => wss.clients.size;
  }
  process.on('message', (msg: string) => {
    if (msg === 'exit') process.exit(0);
    if (msg === 'gc') (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const stats: Stats = {
      cpuUs: cpu.user + cpu.system,
      rss: mem.rss,
      heap: mem.heapUsed + mem.external,
      clients: clients(),
    };
    process.send?.(stats);
  });
  process.send?.({ port });
}

function request(port: number): string {
  return `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: measure\r\n\r\n`;
}

/** Opens a connection and completes the handshake; resolves with the open socket. */
function handshake(port: number, req: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(req));
    socket.on('error', reject);
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        socket.removeListener('data', onData);
        if (!got.startsWith('HTTP/1.1 101')) reject(new Error(`not 101: ${got.slice(0, 40)}`));
        else resolve(socket);
      }
    };
    socket.on('data', onData);
  });
}

async function main(): Promise<void> {
  const handshakes = Number(process.argv[2] ?? 2000);
  const idle = Number(process.argv[3] ?? 5000);
  const rounds = Number(process.argv[4] ?? 3);
  const results: Record<Kind, { perSec: number[]; cpuUs: number[]; rssPerConn: number[]; heapPerConn: number[] }> = {
    net: { perSec: [], cpuUs: [], rssPerConn: [], heapPerConn: [] },
    http: { perSec: [], cpuUs: [], rssPerConn: [], heapPerConn: [] },
    ws: { perSec: [], cpuUs: [], rssPerConn: [], heapPerConn: [] },
  };
  for (let round = 0; round < rounds; round++) {
    for (const kind of KINDS) {
      const child = fork(fileURLToPath(import.meta.url), ['--server', kind], {
        execArgv: [
          '--expose-gc',
          '--import',
          'tsx',
          // MEASURE_CPU_PROF=DIR writes a V8 CPU profile of each server there (to see where a handshake's time goes).
          ...(process.env['MEASURE_CPU_PROF'] === undefined
            ? []
            : ['--cpu-prof', `--cpu-prof-dir=${process.env['MEASURE_CPU_PROF']}`]),
        ],
      });
      const next = <T>(): Promise<T> => new Promise((r) => child.once('message', (m) => r(m as T)));
      const { port } = await next<{ port: number }>();
      const ask = async (msg: string): Promise<Stats> => {
        const p = next<Stats>();
        child.send(msg);
        return p;
      };
      const req = request(port);
      // Warm-up, then sequential-ish handshakes with 8 in flight; each socket closed once answered.
      for (let i = 0; i < 200; i++) (await handshake(port, req)).destroy();
      while ((await ask('stats')).clients > 0) await new Promise((r) => setTimeout(r, 10));
      const before = await ask('stats');
      const started = process.hrtime.bigint();
      let done = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (done < handshakes) {
            done++;
            const s = await handshake(port, req);
            s.destroy();
          }
        }),
      );
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      while ((await ask('stats')).clients > 0) await new Promise((r) => setTimeout(r, 10));
      const after = await ask('stats');
      results[kind].perSec.push(handshakes / wallS);
      results[kind].cpuUs.push((after.cpuUs - before.cpuUs) / handshakes);
      // Idle connections: RSS after gc, before and after opening them.
      const base = await ask('gc');
      const open: net.Socket[] = [];
      for (let i = 0; i < idle; i += 100) {
        const batch = await Promise.all(Array.from({ length: Math.min(100, idle - i) }, () => handshake(port, req)));
        open.push(...batch);
      }
      await new Promise((r) => setTimeout(r, 300));
      const loaded = await ask('gc');
      results[kind].rssPerConn.push((loaded.rss - base.rss) / idle);
      results[kind].heapPerConn.push((loaded.heap - base.heap) / idle);
      for (const s of open) s.destroy();
      child.send('exit');
      await new Promise((r) => child.once('exit', r));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ws = results.ws;
  console.log(`handshakes ${handshakes} (8 in flight), idle ${idle}, rounds ${rounds}, medians; ratio to ws`);
  console.log('server            handshakes/s   CPU µs/handshake   RSS B/idle conn   heap+external B/idle conn');
  for (const kind of KINDS) {
    const r = results[kind];
    const row = [
      `${median(r.perSec).toFixed(0)} (${(median(r.perSec) / median(ws.perSec)).toFixed(2)}×)`,
      `${median(r.cpuUs).toFixed(1)} (${(median(r.cpuUs) / median(ws.cpuUs)).toFixed(2)}×)`,
      `${median(r.rssPerConn).toFixed(0)} (${(median(r.rssPerConn) / median(ws.rssPerConn)).toFixed(2)}×)`,
      `${median(r.heapPerConn).toFixed(0)} (${(median(r.heapPerConn) / median(ws.heapPerConn)).toFixed(2)}×)`,
    ];
    const name = kind === 'ws' ? 'ws' : `switchboard ${kind}`;
    console.log(`${name.padEnd(18)}${row[0]!.padEnd(15)}${row[1]!.padEnd(19)}${row[2]!.padEnd(18)}${row[3]}`);
  }
}

if (process.argv[2] === '--server') await serve(process.argv[3] as Kind);
else await main();
