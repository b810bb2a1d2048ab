// Benchmark server: one socket.io node with @socket.io/redis-adapter (its classic pub/sub adapter), one of several on
// the same Redis. `join` (with ack) puts the socket in room "bench"; `pub` broadcasts to the room on every node as `msg`.
// REDIS_URL selects Redis. Prints `listening PORT` and exits on SIGTERM or when stdin closes.
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pub = new Redis(url);
const sub = pub.duplicate();
pub.on('error', () => {});
sub.on('error', () => {});
const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  // App-level heartbeats off for the run, as the Switchboard nodes' pings are.
  pingInterval: 3_600_000,
  pingTimeout: 3_600_000,
  connectTimeout: 60_000,
  adapter: createAdapter(pub, sub),
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
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
