// Benchmark peer: ws (with bufferutil unless WS_NO_BUFFER_UTIL=1) exposing the wsload contract.
// `/` echoes every message to its sender; `/bcast` sends every message to every client
// (the broadcast example of the ws README). Prints `listening PORT bufferutil=yes|no` when ready.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { WebSocketServer, WebSocket } from 'ws';

const require = createRequire(import.meta.url);

// BENCH_DEFLATE=1 turns permessage-deflate on with a 1,024-byte threshold (messages below it are sent
// uncompressed) and the library defaults otherwise: context takeover both ways, 15-bit windows, zlib's
// default level and memLevel, ws's zlib concurrency limit of 10. The ready line then ends in
// `deflate=on`.
const perMessageDeflate = process.env.BENCH_DEFLATE === '1' ? { threshold: 1024 } : false;
const echo = new WebSocketServer({ noServer: true, perMessageDeflate, clientTracking: false });
const bcast = new WebSocketServer({ noServer: true, perMessageDeflate });

echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
bcast.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of bcast.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
  ws.on('error', () => {});
});

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
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

// Which masking kernel ws really uses: the native addon is in the require cache only if ws loaded it.
const bufferutil = Object.keys(require.cache).some((k) => k.includes('/node_modules/bufferutil/')) ? 'yes' : 'no';

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(
    `listening ${typeof address === 'object' && address ? address.port : 0} bufferutil=${bufferutil} deflate=${perMessageDeflate ? 'on' : 'off'}`,
  );
});

// Never outlive the harness: exit when it closes our stdin or signals us.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
