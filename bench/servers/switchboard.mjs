// Benchmark subject: the Switchboard engine, from the compiled dist/ (run `npm run build` first), exposing the wsload contract.
// Standalone mode (`new WebSocketServer({ port })`): the server owns its listener, so the idle and handshake figures
// measure the engine's own accept path, not an HTTP server the application made. `/` echoes every message to its
// sender; `/bcast` sends every message to every client with `WebSocketServer.broadcast` (frame built once; only
// `/bcast` clients are connected during the fan-out measure). Prints `listening PORT` when ready.
import { WebSocketServer } from '../../dist/engine/index.js';

// The heartbeat is left at its default (30 s): it never fires inside a benchmark window.
// BENCH_DEFLATE=1 turns permessage-deflate on with a 1,024-byte threshold (messages below it are sent
// uncompressed) and the library defaults otherwise: context takeover both ways, 15-bit windows, zlib's
// default level and memLevel, zlib concurrency 10 (src/engine/deflate-config.ts). The ready line then
// ends in `deflate=on`.
const perMessageDeflate = process.env.BENCH_DEFLATE === '1' ? { threshold: 1024 } : false;
const wss = new WebSocketServer({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', perMessageDeflate });
wss.on('error', () => {});

// Shared handlers (`this` is the socket): no closure per connection.
function echo(event) {
  this.send(event.data);
}
function bcast(event) {
  wss.broadcast(event.data);
}
wss.on('connection', (ws) => {
  ws.onmessage = ws.url === '/bcast' || ws.url.startsWith('/bcast?') ? bcast : echo;
});

const address = await wss.listen();
console.log(`listening ${address.port} deflate=${perMessageDeflate ? 'on' : 'off'} mode=standalone`);

process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
