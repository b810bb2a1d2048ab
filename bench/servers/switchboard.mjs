// Benchmark subject: the Switchboard engine, from the compiled dist/ (run `npm run build` first), exposing the wsload contract.
// `/` echoes every message to its sender; `/bcast` sends every message to every client with
// `WebSocketServer.broadcast` (frame built once). Routing mirrors bench/servers/ws.mjs: one HTTP
// server, `noServer` engines, `handleUpgrade` by path. Prints `listening PORT` when ready.
import { createServer } from 'node:http';
import { WebSocketServer } from '../../dist/engine/index.js';

// The heartbeat is left at its default (30 s): it never fires inside a benchmark window.
// BENCH_DEFLATE=1 turns permessage-deflate on with a 1,024-byte threshold (messages below it are sent
// uncompressed) and the library defaults otherwise: context takeover both ways, 15-bit windows, zlib's
// default level and memLevel, zlib concurrency 10 (src/engine/deflate-config.ts). The ready line then
// ends in `deflate=on`.
const perMessageDeflate = process.env.BENCH_DEFLATE === '1' ? { threshold: 1024 } : false;
const echo = new WebSocketServer({ noServer: true, perMessageDeflate });
const bcast = new WebSocketServer({ noServer: true, perMessageDeflate });

echo.on('connection', (ws) => {
  ws.onmessage = (event) => ws.send(event.data);
});
bcast.on('connection', (ws) => {
  ws.onmessage = (event) => bcast.broadcast(event.data);
});
for (const wss of [echo, bcast]) wss.on('error', () => {});

const server = createServer((_req, res) => {
  res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
});
server.on('upgrade', (req, socket, head) => {
  const path = (req.url ?? '/').split('?')[0];
  const wss = path === '/' ? echo : path === '/bcast' ? bcast : null;
  if (wss === null) {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head);
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
