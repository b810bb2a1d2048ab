// Node binding: the http(s).Server a standalone WebSocket server owns on the 'http' accept path (and over TLS): HTTP-phase deadlines, 426 for plain HTTP, 404 for other paths.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Deadline, deadlineQueue } from './deadlines.ts';
import { channels } from './diagnostics.ts';
import type { RejectedUpgrade } from './server-options.ts';
import { writeRejection } from './upgrade.ts';

/** What the owned http(s).Server calls back into its WebSocket server for. */
export interface StandaloneHooks {
  /** Whether the upgrade is for the server's path. */
  shouldHandle(req: http.IncomingMessage): boolean;
  /** Runs the opening handshake (the socket's HTTP-phase deadline is ended by the caller, see {@link PreUpgradeDeadlines.end}). */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** An upgrade was refused here (wrong path). */
  rejected(info: RejectedUpgrade): void;
  error(err: Error): void;
  listening(): void;
}

/** A standalone server's http(s).Server, listening (or failing to) since creation. */
export interface StandaloneServer {
  readonly server: http.Server | https.Server;
  /** Sockets still in the HTTP phase, with their deadline. */
  readonly preUpgrade: PreUpgradeDeadlines;
  /** Resolves with the address once bound; rejects when listen fails. */
  readonly listening: Promise<AddressInfo>;
}

/** A socket that must finish its HTTP phase by a deadline (slowloris, HS-17/18): destroyed when it passes. */
class SocketDeadline extends Deadline {
  readonly #socket: Duplex;

  constructor(socket: Duplex) {
    super();
    this.#socket = socket;
  }

  onDeadline(): void {
    this.#socket.destroy();
  }
}

/** Standalone: sockets still in the HTTP phase, each with its deadline in a shared queue; nothing of it outlives the upgrade. */
export class PreUpgradeDeadlines {
  readonly #deadlines = new WeakMap<Duplex, SocketDeadline>();
  readonly #handshakeTimeoutMs: number;
  /** The one 'close' listener of every socket in the HTTP phase (`this` is the socket). */
  readonly #onClose: (this: Duplex) => void;

  constructor(handshakeTimeoutMs: number) {
    this.#handshakeTimeoutMs = handshakeTimeoutMs;
    const deadlines = this.#deadlines;
    this.#onClose = function (this: Duplex) {
      const deadline = deadlines.get(this);
      if (deadline === undefined) return;
      deadlines.delete(this);
      deadline.armedIn?.cancel(deadline);
    };
  }

  /** A socket connected: it must reach its upgrade before the handshake deadline. */
  start(socket: Duplex): void {
    const deadline = new SocketDeadline(socket);
    deadlineQueue(this.#handshakeTimeoutMs).arm(deadline);
    this.#deadlines.set(socket, deadline);
    socket.once('close', this.#onClose);
  }

  /** The socket left the HTTP phase (upgraded, refused or closed): drop its deadline. */
  end(socket: Duplex): void {
    const deadline = this.#deadlines.get(socket);
    if (deadline === undefined) return;
    this.#deadlines.delete(socket);
    deadline.armedIn?.cancel(deadline);
    socket.removeListener('close', this.#onClose);
  }
}

/**
 * The pathname of a request target (the query is ignored).
 * @param url - `req.url`
 * @returns the part before '?', or '' without a URL
 */
export function pathnameOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Creates the http(s).Server of a standalone WebSocket server and starts listening.
 * @param port - 0 picks a free port
 * @param host - the address to listen on
 * @param handshakeTimeoutMs - deadline of the HTTP phase (and of the TLS handshake)
 * @param tlsOptions - wss:// when given
 * @param hooks - the WebSocket server's side
 * @returns the server, its HTTP-phase deadlines and the listen promise
 */
export function createStandaloneServer(
  port: number,
  host: string,
  handshakeTimeoutMs: number,
  tlsOptions: https.ServerOptions | undefined,
  hooks: StandaloneHooks,
): StandaloneServer {
  const httpOptions: http.ServerOptions = {
    // Node answers 431 above this (HS-12); stated so a Node default change cannot widen it.
    maxHeaderSize: 16 * 1024,
    // Slow headers are cut at the handshake deadline; Node checks on this period.
    headersTimeout: handshakeTimeoutMs,
    requestTimeout: handshakeTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(handshakeTimeoutMs / 2))),
  };
  const server =
    tlsOptions === undefined
      ? http.createServer(httpOptions)
      : https.createServer({ ...tlsOptions, ...httpOptions, handshakeTimeout: handshakeTimeoutMs });
  const preUpgrade = new PreUpgradeDeadlines(handshakeTimeoutMs);
  // Over TLS the deadline below starts once TLS is up; the TLS handshake has its own (handshakeTimeout).
  server.on(tlsOptions === undefined ? 'connection' : 'secureConnection', (socket: Duplex) => {
    // Node's checker only runs every connectionsCheckingInterval and not for a silent
    // connection: our own deadline covers both (HS-17, HS-18).
    preUpgrade.start(socket);
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // HS-09: a plain HTTP request to a WebSocket-only server learns what to do, then the connection closes.
    const body = 'Upgrade Required\n';
    res.writeHead(426, {
      Upgrade: 'websocket',
      Connection: 'Upgrade, close',
      'Sec-WebSocket-Version': '13',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
    req.resume();
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hooks.shouldHandle(req)) {
      preUpgrade.end(socket);
      socket.on('error', () => {});
      hooks.rejected({ status: 404, reason: 'WS_ERR_UNKNOWN_PATH', req });
      if (channels.handshakeRejected.hasSubscribers) {
        channels.handshakeRejected.publish({
          status: 404,
          reason: 'WS_ERR_UNKNOWN_PATH',
          remoteAddress: (socket as { remoteAddress?: string }).remoteAddress ?? '',
          url: pathnameOf(req.url),
        });
      }
      writeRejection(socket, 404);
      return;
    }
    hooks.handleUpgrade(req, socket, head);
  });
  server.on('error', (err: Error) => hooks.error(err));
  server.on('listening', () => hooks.listening());
  const listening = new Promise<AddressInfo>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
  return { server, preUpgrade, listening };
}
