// Node binding: the `net` accept path: new TCP connections read by the engine's own request-head parser, upgrades answered without node:http, plain HTTP handed to an http.Server.
import type http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { RequestHeadParser, type RequestHead } from '../protocol/index.ts';
import { Deadline, deadlineQueue, type DeadlineQueue } from './deadlines.ts';
import { HeadRequest } from './head-request.ts';
import { pathnameOf } from './standalone-server.ts';
import { writeRejection } from './upgrade.ts';

/** What the `net` accept path calls back into its WebSocket server for. */
export interface NetAcceptHooks {
  /** Whether an upgrade for this pathname is the server's. */
  shouldHandle(pathname: string): boolean;
  /** Runs the opening handshake (always answers). */
  handleUpgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void;
  /** Refuses an upgrade request with an HTTP status: `rejected` event, diagnostics, answer, closed socket. */
  refuse(req: http.IncomingMessage, socket: Socket, status: number, reason: string): void;
}

/**
 * Where plain HTTP, and upgrades for other paths, go on a port the WebSocket server reads first.
 * The fallback answers them all (an http.Server's `upgrade` listeners, else 404 from the engine's route on it).
 */
export interface HttpFallback {
  /** Hands a connection over, its first bytes pushed back into the socket to be read again. */
  handOff(socket: Socket): void;
}

function ignoreError(): void {}

/** The answer to plain HTTP on a WebSocket-only port (HS-09): what to do, then the connection closes. */
const UPGRADE_REQUIRED = {
  headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' },
  body: 'Upgrade Required\n',
} as const;

/**
 * Reads the first request of each connection with {@link RequestHeadParser} (bytes in any split,
 * one pass, 16 KiB and 200 header lines at most) and routes it: an upgrade for the server's path
 * to the handshake, with the bytes that followed the head as the first frames; an upgrade for
 * another path to the fallback when it takes upgrades, else 404; plain HTTP to the fallback, else
 * 426; a malformed or oversized head to 400 or 431 and a closed socket. The handshake deadline runs
 * from the connection (slowloris, HS-17/18) until the request is routed.
 */
export class NetAccept {
  readonly #hooks: NetAcceptHooks;
  /** @internal The handshake deadline of every connection in its first request (one shared timer). */
  readonly deadlines: DeadlineQueue;
  readonly #fallback: HttpFallback | null;
  /** Connections whose first request is still being read (destroyed by {@link destroyPending}). */
  readonly #pending = new Set<Socket>();

  /**
   * @param hooks - the WebSocket server's side
   * @param handshakeTimeoutMs - time from the connection to a routed first request (slowloris, HS-17/18)
   * @param fallback - where plain HTTP goes; null answers it with 426
   */
  constructor(hooks: NetAcceptHooks, handshakeTimeoutMs: number, fallback: HttpFallback | null) {
    this.#hooks = hooks;
    this.deadlines = deadlineQueue(handshakeTimeoutMs);
    this.#fallback = fallback;
  }

  /** A connection arrived: read its first request. */
  readonly onConnection = (socket: Socket): void => {
    this.#pending.add(socket);
    new PendingConnection(this, socket);
  };

  /** Destroys every connection still in its first request (server close). */
  destroyPending(): void {
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  }

  /** @internal The connection left the HTTP phase (routed, refused or closed). */
  left(socket: Socket): void {
    this.#pending.delete(socket);
  }

  /** @internal The head is complete: route it. */
  route(socket: Socket, head: RequestHead, rest: Uint8Array): void {
    const fallback = this.#fallback;
    if (!head.wantsUpgrade) {
      if (fallback !== null) handOff(fallback, socket, head, rest);
      else writeRejection(socket, 426, UPGRADE_REQUIRED);
      return;
    }
    const req = new HeadRequest(head, socket).asIncomingMessage();
    if (!this.#hooks.shouldHandle(pathnameOf(head.url))) {
      if (fallback !== null) handOff(fallback, socket, head, rest);
      else this.#hooks.refuse(req, socket, 404, 'WS_ERR_UNKNOWN_PATH');
      return;
    }
    // Smuggling shapes (a body on an upgrade, two lengths): bytes after this head must never be read two ways.
    const framing = head.framingRefusal(true);
    if (framing !== null) {
      this.#hooks.refuse(req, socket, framing.status, framing.code);
      return;
    }
    socket.removeListener('error', ignoreError);
    this.#hooks.handleUpgrade(req, socket, asBuffer(rest));
  }
}

/**
 * One connection in its first request, and its handshake deadline (an entry of the shared queue:
 * no timer, map entry or extra listener per connection); nothing of it outlives the routing.
 */
class PendingConnection extends Deadline {
  readonly #accept: NetAccept;
  readonly #socket: Socket;
  readonly #parser = new RequestHeadParser();

  constructor(accept: NetAccept, socket: Socket) {
    super();
    this.#accept = accept;
    this.#socket = socket;
    accept.deadlines.arm(this);
    // An RST before the request is complete must not become an unhandled 'error' (HS-21).
    socket.on('error', ignoreError);
    socket.on('data', this.#onData);
    // The server is half-open capable (WebSocket closes need it); a peer that stops sending before its head is gone.
    socket.on('end', this.#onEnd);
    socket.once('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    const result = this.#parser.push(chunk);
    if (result === null) return;
    this.#leave();
    const socket = this.#socket;
    if (result.kind === 'refused') {
      // A malformed head gets Node's answers (400, 431) and a closed socket; nothing after it is read.
      writeRejection(socket, result.status);
      return;
    }
    this.#accept.route(socket, result.head, result.rest);
  };

  /** The deadline passed before the request was routed (slowloris, idle connection): the socket goes, unanswered. */
  onDeadline(): void {
    this.#socket.destroy();
  }

  readonly #onEnd = (): void => {
    this.#socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#leave();
  };

  #leave(): void {
    const socket = this.#socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('close', this.#onClose);
    this.armedIn?.cancel(this);
    this.#accept.left(socket);
  }
}

/** A Buffer over the same bytes (the handshake and the frame parser take Buffers). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Gives a connection to the fallback http.Server with the bytes read so far pushed back, so its
 * parser reads the request as if it came first (keep-alive requests after it are its own business).
 */
function handOff(fallback: HttpFallback, socket: Socket, head: RequestHead, rest: Uint8Array): void {
  socket.removeListener('error', ignoreError);
  socket.pause();
  const headBytes = head.toBytes();
  const bytes = Buffer.allocUnsafe(headBytes.length + rest.length);
  bytes.set(headBytes, 0);
  bytes.set(rest, headBytes.length);
  socket.unshift(bytes);
  fallback.handOff(socket);
  // Node's http parser reads through 'data' from here: flowing again delivers the pushed-back bytes first.
  process.nextTick(() => socket.resume());
}

/** A standalone server's TCP listener on the `net` accept path, listening (or failing to) since creation. */
export interface NetStandaloneServer {
  readonly server: net.Server;
  /** Resolves with the address once bound; rejects when listen fails. */
  readonly listening: Promise<AddressInfo>;
}

/**
 * Creates the TCP server of a standalone WebSocket server on the `net` accept path and starts listening.
 * @param port - 0 picks a free port
 * @param host - the address to listen on
 * @param accept - reads each connection's first request
 * @param events - the server's `error` and `listening`
 * @returns the server and its listen promise
 */
export function createNetStandaloneServer(
  port: number,
  host: string,
  accept: NetAccept,
  events: { error(err: Error): void; listening(): void },
): NetStandaloneServer {
  // As node:http's server: no Nagle delay on small frames, and half-open sockets so a peer's FIN
  // reaches the WebSocket close logic instead of ending the socket under it.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, accept.onConnection);
  server.on('error', (err: Error) => events.error(err));
  server.on('listening', () => events.listening());
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
  return { server, listening };
}

const fronted = new WeakSet<http.Server>();

/**
 * Puts the `net` accept path in front of an application's http.Server: the first request of each
 * connection is read by `accept`, and only plain HTTP and upgrades for other paths reach Node's
 * HTTP parser. A connection handed over stays with Node: a later request on it (keep-alive, such
 * as an upgrade through a proxy that reuses upstream connections) reaches the server's `upgrade`
 * event, which the caller must also handle. The server keeps listening, closing and timing out its
 * own HTTP connections as before; its own `connection` listeners still see every connection.
 * @param server - a plain http.Server (not https: its `connection` sockets are still encrypted)
 * @param makeAccept - builds the reader with the fallback into this server
 * @returns restores the server's own connection handling
 * @throws TypeError for an https server, a server already fronted, or a Node whose http.Server has no recognisable connection listener
 */
export function frontHttpServer(server: http.Server, makeAccept: (fallback: HttpFallback) => NetAccept): () => void {
  if (fronted.has(server))
    throw new TypeError('Cannot use acceptPath "net": another WebSocketServer already reads this server');
  if ('addContext' in server)
    throw new TypeError('Cannot use acceptPath "net" with an https server: use acceptPath "http"');
  // node:http registers one named listener per server (lib/_http_server.js `connectionListener`); it is what parses HTTP.
  const nodeListener = server.listeners('connection').find((l) => l.name === 'connectionListener') as
    | ((this: http.Server, socket: Socket) => void)
    | undefined;
  if (nodeListener === undefined)
    throw new TypeError('Cannot use acceptPath "net": this http.Server has no node:http connection listener');
  const accept = makeAccept({ handOff: (socket) => nodeListener.call(server, socket) });
  server.removeListener('connection', nodeListener);
  server.prependListener('connection', accept.onConnection);
  fronted.add(server);
  return () => {
    server.removeListener('connection', accept.onConnection);
    server.prependListener('connection', nodeListener);
    fronted.delete(server);
    accept.destroyPending();
  };
}
