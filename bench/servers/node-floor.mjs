// Reference, not a contender: the floor of any WebSocket engine on Node's http server. It answers each upgrade with
// a valid 101 and keeps the socket with one shared listener and no per-connection object, so its RSS per connection
// and CPU per handshake are what Node itself costs (accept, HTTP parse, IncomingMessage, net.Socket, TCPWrap).
// Only the `idle` measure applies (it echoes nothing). Prints `listening PORT` when ready.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

function ignore() {}
const server = createServer((_req, res) => res.writeHead(426).end());
server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.on('error', ignore);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
