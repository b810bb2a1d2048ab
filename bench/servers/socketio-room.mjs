// Benchmark server: socket.io room broadcast, the peer of bench/realtime-fanout.mjs (WebSocket only),
// bench/transports.mjs (HTTP long-polling and WebSocket; the load client opens `transport=polling` or
// `transport=websocket` and never upgrades) and bench/cluster-fanout.mjs (one node of several on one Redis).
// `--transports polling,websocket` picks engine.io's transports (default: websocket); `--redis URL` adds
// @socket.io/redis-adapter (its classic pub/sub adapter) on that Redis.
// `join` (with ack) puts the socket in room "bench"; `pub` broadcasts its payload to the room as `msg`.
// Prints `listening PORT` and exits on SIGTERM or when stdin closes.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';

const { values: args } = parseArgs({
  options: { transports: { type: 'string', default: 'websocket' }, redis: { type: 'string' } },
});
const transports = args.transports.split(',');
for (const t of transports)
  if (t !== 'polling' && t !== 'websocket') throw new Error(`--transports: polling and/or websocket, got "${t}"`);

let adapter;
let disconnect = () => {};
if (args.redis !== undefined) {
  const [{ createAdapter }, { Redis }] = await Promise.all([import('@socket.io/redis-adapter'), import('ioredis')]);
  const pub = new Redis(args.redis);
  const sub = pub.duplicate();
  pub.on('error', () => {});
  sub.on('error', () => {});
  adapter = createAdapter(pub, sub);
  disconnect = () => {
    pub.disconnect();
    sub.disconnect();
  };
}

const server = http.createServer();
const io = new Server(server, {
  transports,
  perMessageDeflate: false,
  // App-level heartbeats off for the run, as the Switchboard server's pings are.
  pingInterval: 3_600_000,
  pingTimeout: 3_600_000,
  connectTimeout: 60_000,
  ...(adapter === undefined ? {} : { adapter }),
});
io.on('connection', (socket) => {
  socket.on('join', (ack) => {
    socket.join('bench');
    if (typeof ack === 'function') ack();
  });
  socket.on('pub', (data) => io.to('bench').emit('msg', data));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => {
  io.close();
  disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
