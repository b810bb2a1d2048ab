// Documents benchmark reference, not a contender: the floor of a document server. It speaks y-websocket's binary
// protocol (one document per connection, `/<name>`) but does no Yjs work at all: a client's sync step 1 is answered
// with an empty step 2, and every other sync message is written as it came to the other connections of the same
// document. No validation, no document, no store, no awareness, no limits. Its CPU per update in (b) is what the
// socket read, the WebSocket frame decode, one write per other editor and the event loop cost on this machine, below
// which no document server on Node can go. BENCH_FLOOR_ENGINE picks the WebSocket engine under it: `switchboard`
// (default: src/engine, the engine Switchboard runs on) or `ws` (the library y-websocket's and Hocuspocus's servers
// use). Prints `listening PORT`.
import { createServer } from 'node:http';
import { WebSocketServer as WsServer } from 'ws';
import { WebSocketServer } from '../../src/engine/index.ts';
import { serveControl } from './control.mjs';

/** y-websocket's message type of a sync message, and the sync step 1 subtype. */
const MESSAGE_SYNC = 0;
const SYNC_STEP1 = 0;
/** A sync step 2 carrying an empty Yjs update (no structs, no deletions): what a client with nothing new lacks. */
const EMPTY_STEP2 = new Uint8Array([MESSAGE_SYNC, 1, 2, 0, 0]);

/** A connection as the relay needs it, whatever the engine. */
interface Peer {
  send(data: Uint8Array): void;
}

const rooms = new Map<string, Set<Peer>>();

function join(path: string, peer: Peer): Set<Peer> {
  let room = rooms.get(path);
  if (room === undefined) {
    room = new Set();
    rooms.set(path, room);
  }
  room.add(peer);
  return room;
}

function leave(path: string, room: Set<Peer>, peer: Peer): void {
  room.delete(peer);
  if (room.size === 0) rooms.delete(path);
}

function relay(room: Set<Peer>, from: Peer, data: Uint8Array): void {
  if (data[0] === MESSAGE_SYNC && data[1] === SYNC_STEP1) {
    from.send(EMPTY_STEP2);
    return;
  }
  for (const peer of room) if (peer !== from) peer.send(data);
}

const engine = process.env['BENCH_FLOOR_ENGINE'] ?? 'switchboard';
let port: number;
if (engine === 'ws') {
  const wss = new WsServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      const path = request.url ?? '/';
      const peer: Peer = { send: (data) => ws.send(data) };
      const room = join(path, peer);
      ws.on('message', (data: Buffer) => relay(room, peer, data));
      ws.on('close', () => leave(path, room, peer));
      ws.on('error', () => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
} else if (engine === 'switchboard') {
  const wss = new WebSocketServer({
    port: Number(process.env['PORT'] ?? 0),
    host: '127.0.0.1',
    perMessageDeflate: false,
    // As the Switchboard bench server: no heartbeat inside a window.
    pingIntervalMs: 0,
  });
  wss.on('error', () => {});
  wss.on('connection', (ws) => {
    const path = ws.url;
    ws.binaryType = 'nodebuffer';
    const room = join(path, ws);
    ws.onmessage = (event) => relay(room, ws, event.data as Uint8Array);
    ws.onclose = () => leave(path, room, ws);
  });
  port = (await wss.listen()).port;
} else {
  throw new Error(`BENCH_FLOOR_ENGINE: unknown engine ${engine} (switchboard or ws)`);
}
serveControl(() => ({ documents: rooms.size }));
process.stdout.write(`listening ${port}\n`);
