// ws README, "Server broadcast" (to every other client). Verbatim except: the import ('ws' -> our adapter),
// port 8080 -> 0 (a free port), and the last line, which hands the server to the test.
import WebSocket, { WebSocketServer } from '../../../src/engine/ws-compat.ts';

const wss = new WebSocketServer({ port: 0 });

wss.on('connection', function connection(ws) {
  ws.on('error', console.error);

  ws.on('message', function message(data, isBinary) {
    wss.clients.forEach(function each(client) {
      if (client !== ws && client.readyState === WebSocket.OPEN) {
        client.send(data, { binary: isBinary });
      }
    });
  });
});

export { wss };
