// Documents benchmark server: y-websocket's own server (@y/websocket-server 0.1.1, `setupWSConnection` on a ws
// server, as its bin/server.js does), documents in memory without persistence. Prints `listening PORT`.
import { createServer } from 'node:http';
import { docs, setupWSConnection } from '@y/websocket-server/utils';
import { WebSocketServer } from 'ws';
import { serveControl } from './control.mjs';

const wss = new WebSocketServer({ noServer: true });
wss.on('connection', setupWSConnection);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('okay');
});
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  serveControl(() => ({ documents: docs.size }));
  process.stdout.write(`listening ${server.address().port}\n`);
});
