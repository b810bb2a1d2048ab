// Reference, not a contender: the floor of any WebSocket engine on Node's `net` module. A `net.Server` accepts, reads
// the first chunk, finds `Sec-WebSocket-Key` by a byte search (no HTTP parser, no IncomingMessage), writes a valid 101
// and keeps the socket with shared listeners and no per-connection object. Its RSS per connection and CPU per
// handshake are what `net.Socket` and its TCP handle cost before any HTTP or WebSocket code: the floor of an engine
// that accepts on `net` with its own request parser. Only the `idle` measure applies. Prints `listening PORT`.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = Buffer.from('\r\nsec-websocket-key:');
/** The longest request head read for the key; wsload's is ~200 bytes. */
const MAX_HEAD = 8192;

/** Finds the key case-insensitively; wsload writes `Sec-WebSocket-Key`, the canonical spelling is tried first. */
function keyOf(chunk) {
  let at = chunk.indexOf('\r\nSec-WebSocket-Key:', 0, 'latin1');
  if (at < 0) at = chunk.toString('latin1').toLowerCase().indexOf(KEY.toString('latin1'));
  if (at < 0) return null;
  const start = at + KEY.length;
  const end = chunk.indexOf('\r\n', start, 'latin1');
  if (end < 0) return null;
  return chunk.toString('latin1', start, end).trim();
}

function ignore() {}

/** One listener for every socket (`this`): answers the request head, then ignores whatever follows. */
function onFirstData(chunk) {
  const key = chunk.length <= MAX_HEAD ? keyOf(chunk) : null;
  if (key === null) {
    this.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  this.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
}

const server = createServer((socket) => {
  socket.once('data', onFirstData);
  socket.on('error', ignore);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
