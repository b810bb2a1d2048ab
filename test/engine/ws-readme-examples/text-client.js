// ws README, "Sending and receiving text data" (client). Verbatim except: the import ('ws' -> our adapter),
// the URL (the test's server), and the last line.
import WebSocket from '../../../src/engine/ws-compat.ts';

const ws = new WebSocket(process.env.WS_README_URL);

ws.on('error', console.error);

ws.on('open', function open() {
  ws.send('something');
});

ws.on('message', function message(data) {
  console.log('received: %s', data);
});

export { ws };
