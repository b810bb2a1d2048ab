// ws README, "Simple server". Verbatim except: the import ('ws' -> our adapter), port 8080 -> 0 (a free port),
// and the last line, which hands the server to test/engine/ws-readme-examples.test.ts.
import { WebSocketServer } from '../../../src/engine/ws-compat.ts';

const wss = new WebSocketServer({ port: 0 });

wss.on('connection', function connection(ws) {
  ws.on('error', console.error);

  ws.on('message', function message(data) {
    console.log('received: %s', data);
  });

  ws.send('something');
});

export { wss };
