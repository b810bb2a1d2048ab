// The peer of bench/feeds-ingest.mjs: the seed's architecture, a Node process with `nats` and `ws` that subscribes
// to the price subjects (core NATS) and, per message, loops `ws.send` over the WebSocket clients of that symbol
// (`ws://…/?symbol=S03`). Written as such a service is usually written, without deliberate slowness: one Buffer per
// NATS message sent as a text frame to each open client, no per-client parsing or copies.
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { WebSocketServer } from 'ws';

const { values: args } = parseArgs({
  options: { url: { type: 'string', default: 'nats://127.0.0.1:4222' }, prefix: { type: 'string' } },
});
/** Clients by symbol. */
const bySymbol = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws, req) => {
  const symbol = new URL(req.url ?? '/', 'http://x').searchParams.get('symbol') ?? '';
  let set = bySymbol.get(symbol);
  if (set === undefined) {
    set = new Set();
    bySymbol.set(symbol, set);
  }
  set.add(ws);
  ws.on('close', () => set.delete(ws));
  ws.on('error', () => {});
});
await new Promise((resolve) => wss.once('listening', resolve));
const nc = await connect({ servers: args.url, name: 'feeds-ingest-peer' });
const sub = nc.subscribe(`${args.prefix}.prices.*`);
process.stdout.write(`listening ${wss.address().port}\n`);
process.once('SIGTERM', () => {
  void nc.close().then(() => process.exit(0));
});
for await (const m of sub) {
  const symbol = m.subject.slice(m.subject.lastIndexOf('.') + 1);
  const clients = bySymbol.get(symbol);
  if (clients === undefined) continue;
  const data = Buffer.from(m.data);
  for (const ws of clients) if (ws.readyState === 1) ws.send(data, { binary: false });
}
