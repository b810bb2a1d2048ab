// ws README, "How to detect and close broken connections" (server side). Verbatim except: the import ('ws' ->
// our adapter), port 8080 -> 0, the ping interval 30000 -> 100 ms so the test runs in a second, and the last line.
import { WebSocketServer } from '../../../src/engine/ws-compat.ts';

function heartbeat() {
  this.isAlive = true;
}

const wss = new WebSocketServer({ port: 0 });

wss.on('connection', function connection(ws) {
  ws.isAlive = true;
  ws.on('error', console.error);
  ws.on('pong', heartbeat);
});

const interval = setInterval(function ping() {
  wss.clients.forEach(function each(ws) {
    if (ws.isAlive === false) return ws.terminate();

    ws.isAlive = false;
    ws.ping();
  });
}, 100);

wss.on('close', function close() {
  clearInterval(interval);
});

export { wss };
