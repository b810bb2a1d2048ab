// Benchmark peer: socket.io (websocket transport only) exposing the wsload --sio contract.
// Event `echo` is emitted back to its sender; event `bcast` is emitted to every client.
// wsload --sio connects to /socket.io/?EIO=4&transport=websocket. Prints `listening PORT`.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

// BENCH_DEFLATE=1 turns permessage-deflate on with a 1,024-byte threshold (messages below it are sent
// uncompressed) and the library defaults otherwise (engine.io hands the option to its ws server):
// context takeover both ways, 15-bit windows, zlib's default level and memLevel. The ready line then
// ends in `deflate=on`.
const perMessageDeflate = process.env.BENCH_DEFLATE === '1' ? { threshold: 1024 } : false;
const server = createServer();
const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate });

io.on('connection', (socket) => {
  socket.on('echo', (message) => socket.emit('echo', message));
  socket.on('bcast', (message) => io.emit('bcast', message));
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(
    `listening ${typeof address === 'object' && address ? address.port : 0} deflate=${perMessageDeflate ? 'on' : 'off'}`,
  );
});

process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
