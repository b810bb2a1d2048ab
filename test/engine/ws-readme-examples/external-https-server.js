// ws README, "External HTTP/S server". Verbatim except: the import ('ws' -> our adapter), the certificate paths
// (a self-signed pair the test writes to a temporary directory), port 8080 -> 0, and the last line.
import { createServer } from 'https';
import { readFileSync } from 'fs';
import { WebSocketServer } from '../../../src/engine/ws-compat.ts';

const server = createServer({
  cert: readFileSync(process.env.WS_README_CERT),
  key: readFileSync(process.env.WS_README_KEY)
});
const wss = new WebSocketServer({ server });

wss.on('connection', function connection(ws) {
  ws.on('error', console.error);

  ws.on('message', function message(data) {
    console.log('received: %s', data);
  });

  ws.send('something');
});

server.listen(0);

export { server, wss };
