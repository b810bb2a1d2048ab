// Node binding: the WebSocket server: standalone, attached to an http(s).Server, or noServer.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Opcode, serializeFrame } from '../protocol/index.ts';
import { BroadcastCompression } from './deflate-channel.ts';
import { channels } from './diagnostics.ts';
import { attachRoute, boundTlsHandshakes } from './attach.ts';
import { closeAll } from './shutdown.ts';
import {
  resolveServerOptions,
  type RejectedUpgrade,
  type ServerCloseOptions,
  type ServerOptions,
} from './server-options.ts';
import { createNetStandaloneServer, frontHttpServer, NetAccept, type HttpFallback } from './net-accept.ts';
import { createStandaloneServer, pathnameOf, type PreUpgradeDeadlines } from './standalone-server.ts';
import { handleUpgradeRequest, rejectUpgrade, type UpgradeContext } from './upgrade.ts';
import { kSendPrebuilt, type WebSocket } from './websocket.ts';

export type { RejectedUpgrade, ServerCloseOptions, ServerOptions } from './server-options.ts';

/**
 * A WebSocket server. Standalone (`port`) it owns its listener and answers plain HTTP with 426:
 * a bare net.Server read by the engine's own request-head parser (`acceptPath: 'net'`, the
 * default), or an http.Server (`'http'`, and over TLS); attached (`server`) it handles the
 * upgrades for its `path` (or, with `acceptPath: 'net'`, reads the server's connections first);
 * with `noServer` the application calls {@link handleUpgrade}. Every upgrade is answered: 101, or
 * an HTTP error and a closed socket.
 *
 * Events: `connection` (ws, req), `rejected` ({ status, reason, req }), `error` (err, only
 * emitted when a listener exists), `listening`, `close`.
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ port: 0 });
 * await wss.listen();
 * wss.on('connection', (ws: WebSocket) => {
 *   ws.onmessage = (event) => ws.send(event.data as string);
 * });
 * ```
 */
export class WebSocketServer extends EventEmitter {
  readonly #clients = new Set<WebSocket>();
  readonly #perIp = new Map<string, number>();
  readonly #ctx: UpgradeContext;
  readonly #path: string | undefined;
  readonly #pathPrefix: string | undefined;
  readonly #closeTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #maxPerIp: number;
  /** Standalone: sockets still in the HTTP phase, with their deadline (PreUpgradeDeadlines in standalone-server.ts); null in the other modes. */
  #preUpgrade: PreUpgradeDeadlines | null = null;
  #reserved = 0;
  /** The listener: Node's http(s).Server (acceptPath 'http', or attached), or a net.Server (standalone on the 'net' path). */
  #httpServer: http.Server | https.Server | NetServer | null = null;
  /** The `net` accept path's reader (standalone or fronting an attached server); null on the 'http' path. */
  #netAccept: NetAccept | null = null;
  #ownsServer = false;
  #listenPromise: Promise<AddressInfo> | null = null;
  /** Standalone: settles when the listen started by the constructor has bound or failed (close() waits for it). */
  #bound: Promise<void> = Promise.resolve();
  #closing = false;
  #closePromise: Promise<void> | null = null;
  #detach: (() => void) | null = null;

  /**
   * @param options - mode, limits and hooks
   * @throws TypeError unless exactly one of `port`, `server`, `noServer` is given
   * @throws RangeError for a negative limit
   */
  constructor(options: ServerOptions) {
    super();
    const resolved = resolveServerOptions(options);
    this.#path = resolved.path;
    this.#pathPrefix = resolved.pathPrefix;
    this.#closeTimeoutMs = resolved.settings.binding.closeTimeoutMs;
    this.#maxConnections = resolved.maxConnections;
    this.#maxPerIp = resolved.maxConnectionsPerIp;
    const proxies = resolved.proxies;
    this.#ctx = {
      ...resolved.settings,
      isClosing: () => this.#closing,
      capsAddresses: this.#maxPerIp !== Infinity || proxies.enabled,
      clientAddress: (req, socket) => {
        const peer = (socket as { remoteAddress?: string }).remoteAddress ?? '';
        return proxies.enabled ? proxies.resolve(peer, req.headers['x-forwarded-for']) : peer;
      },
      reserve: (ip) => this.#reserve(ip),
      release: (ip) => this.#release(ip),
      connected: (ws, req) => {
        this.#clients.add(ws);
        this.emit('connection', ws, req);
      },
      disconnected: (ws) => {
        // The address the connection was reserved under (known from the handshake when capped, see #reserve).
        this.#release(this.#maxPerIp === Infinity ? '' : ws.remoteAddress);
        this.#clients.delete(ws);
      },
      rejected: (info) => {
        if (this.listenerCount('rejected') > 0) this.emit('rejected', info);
      },
      error: (err) => this.#emitError(err),
    };

    if (options.port !== undefined) {
      const host = options.host ?? '127.0.0.1';
      if (resolved.acceptPath === 'net') this.#createNetStandalone(options.port, host);
      else this.#createStandalone(options.port, host, this.#ctx.handshakeTimeoutMs, options.tls);
    } else if (options.server !== undefined) {
      if (resolved.acceptPath === 'net') this.#front(options.server as http.Server);
      else this.#attach(options.server);
    }
  }

  /** Adds a listener: `connection` (ws, req), `rejected` (info), `error` (err), `listening`, `close`. */
  override on(event: 'connection', listener: (ws: WebSocket, req: http.IncomingMessage) => void): this;
  override on(event: 'rejected', listener: (info: RejectedUpgrade) => void): this;
  override on(event: 'error', listener: (err: Error) => void): this;
  override on(event: 'listening' | 'close', listener: () => void): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** Adds a one-time listener; same events as {@link on}. */
  override once(event: 'connection', listener: (ws: WebSocket, req: http.IncomingMessage) => void): this;
  override once(event: 'rejected', listener: (info: RejectedUpgrade) => void): this;
  override once(event: 'error', listener: (err: Error) => void): this;
  override once(event: 'listening' | 'close', listener: () => void): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  /** Open connections (server-side WebSocket objects). */
  get clients(): ReadonlySet<WebSocket> {
    return this.#clients;
  }

  /**
   * Counts a connection of another kind (an HTTP event stream) against `maxConnections` and `maxConnectionsPerIp`,
   * the caps WebSocket upgrades count against, so every kind of long-lived connection shares one budget.
   * @param address The client's address, as the accept hook saw it (behind trusted proxies, the nearest untrusted one).
   * @returns `release` to call once when that connection ends, or which cap is reached.
   */
  reserveConnection(
    address: string,
  ): { readonly ok: true; release(): void } | { readonly ok: false; cap: 'global' | 'ip' } {
    const cap = this.#reserve(address);
    if (cap !== 'ok') return { ok: false, cap };
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#release(address);
      },
    };
  }

  /**
   * Standalone mode: resolves with the address once listening (the constructor already started).
   * Attached mode: resolves with the attached server's address when it listens.
   * @throws TypeError in noServer mode
   * @throws Error once close() was called (a closed server does not listen again)
   */
  listen(): Promise<AddressInfo> {
    if (this.#closing)
      return Promise.reject(new Error('Cannot listen: the WebSocketServer was closed; create a new one'));
    if (this.#listenPromise !== null) return this.#listenPromise;
    const server = this.#httpServer;
    if (server === null) return Promise.reject(new TypeError('Cannot listen: the server was created with noServer'));
    this.#listenPromise = new Promise((resolve, reject) => {
      const addr = server.address();
      if (addr !== null && typeof addr === 'object') resolve(addr);
      else server.once('listening', () => resolve(server.address() as AddressInfo)).once('error', reject);
    });
    return this.#listenPromise;
  }

  /** The listening address (standalone or attached), or null before listening and in noServer mode. */
  address(): AddressInfo | null {
    const addr = this.#httpServer?.address() ?? null;
    return addr !== null && typeof addr === 'object' ? addr : null;
  }

  /**
   * Runs the opening handshake on an upgrade the application routed here. Always answers: 101
   * and a `connection` event, or an HTTP error and a destroyed socket.
   * @param req - the upgrade request
   * @param socket - its socket (owned by the server from now on)
   * @param head - bytes that followed the request head
   */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#preUpgrade?.end(socket);
    handleUpgradeRequest(req, socket, head, this.#ctx);
  }

  /**
   * Sends one message to many connections, serializing the frame once (RX-14). Each connection
   * applies its slow-consumer policy; closing connections are skipped.
   * @param data - string (text) or bytes (binary); not copied, do not modify it afterwards
   * @param connections - defaults to every client of this server
   * @returns how many connections queued the message
   */
  broadcast(
    data: string | ArrayBufferLike | ArrayBufferView,
    connections: Iterable<WebSocket> = this.#clients,
  ): number {
    let payload: Uint8Array;
    let opcode: number;
    if (typeof data === 'string') {
      payload = Buffer.from(data, 'utf8');
      opcode = Opcode.TEXT;
    } else if (ArrayBuffer.isView(data)) {
      payload = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      opcode = Opcode.BINARY;
    } else {
      payload = new Uint8Array(data);
      opcode = Opcode.BINARY;
    }
    const frame = serializeFrame(opcode, payload);
    const size = frame[0]!.length + payload.length;
    // permessage-deflate connections compress lazily through this, once per window size when they can share.
    const compression = this.#ctx.perMessageDeflate === null ? undefined : new BroadcastCompression(opcode, payload);
    let count = 0;
    for (const ws of connections) if (ws[kSendPrebuilt](frame, size, data, compression)) count++;
    return count;
  }

  /**
   * Graceful shutdown: stop accepting (new upgrades get 503), close every connection with 1001,
   * wait for the close handshakes up to the deadline, terminate the rest, then stop listening
   * (standalone) or detach (attached).
   * @param options - code, reason, deadline
   * @returns resolves when every connection is closed; repeated calls share the promise
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    if (this.#closePromise !== null) return this.#closePromise;
    this.#closing = true;
    this.#closePromise = (async () => {
      const server = this.#httpServer;
      let stopped: Promise<void> = Promise.resolve();
      if (server !== null) {
        if (this.#ownsServer) {
          // The listen started by the constructor may still be resolving its host: wait for it to
          // bind (or fail), or the server would start listening after close() and never stop.
          stopped = this.#bound.then(
            () =>
              new Promise<void>((resolve) => {
                if (!server.listening) resolve();
                else server.close(() => resolve());
              }),
          );
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        } else {
          this.#detach?.();
          this.#detach = null;
        }
      }
      await closeAll(this.#clients, {
        code: options.code ?? 1001,
        reason: options.reason ?? 'Server shutting down',
        timeoutMs: options.timeoutMs ?? this.#closeTimeoutMs,
      });
      // Sockets still in the HTTP phase (slow or idle handshakes) would hold close() open.
      if (this.#ownsServer && server !== null && 'closeAllConnections' in server) server.closeAllConnections();
      this.#netAccept?.destroyPending();
      await stopped;
      this.emit('close');
    })();
    return this.#closePromise;
  }

  #shouldHandle(req: http.IncomingMessage): boolean {
    return this.#handlesPath(pathnameOf(req.url));
  }

  #handlesPath(pathname: string): boolean {
    if (this.#path === undefined || pathname === this.#path) return true;
    const prefix = this.#pathPrefix;
    return prefix !== undefined && pathname.length > prefix.length && pathname.startsWith(prefix);
  }

  #createStandalone(
    port: number,
    host: string,
    handshakeTimeoutMs: number,
    tlsOptions: https.ServerOptions | undefined,
  ): void {
    const standalone = createStandaloneServer(port, host, handshakeTimeoutMs, tlsOptions, {
      shouldHandle: (req) => this.#shouldHandle(req),
      handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
      rejected: (info) => this.#ctx.rejected(info),
      error: (err) => this.#emitError(err),
      listening: () => this.emit('listening'),
    });
    this.#httpServer = standalone.server;
    this.#ownsServer = true;
    this.#preUpgrade = standalone.preUpgrade;
    this.#listenPromise = standalone.listening;
    // A failed listen is reported through listen(); keep it from becoming an unhandled rejection.
    this.#bound = this.#listenPromise.then(
      () => {},
      () => {},
    );
  }

  /** The `net` accept path's hooks into this server. */
  #makeNetAccept(fallback: HttpFallback | null): NetAccept {
    const accept = new NetAccept(
      {
        shouldHandle: (pathname) => this.#handlesPath(pathname),
        handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
        refuse: (req, socket, status, reason) => rejectUpgrade(this.#ctx, req, socket, status, reason),
      },
      this.#ctx.handshakeTimeoutMs,
      fallback,
    );
    this.#netAccept = accept;
    return accept;
  }

  #createNetStandalone(port: number, host: string): void {
    const standalone = createNetStandaloneServer(port, host, this.#makeNetAccept(null), {
      error: (err) => this.#emitError(err),
      listening: () => this.emit('listening'),
    });
    this.#httpServer = standalone.server;
    this.#ownsServer = true;
    this.#listenPromise = standalone.listening;
    // A failed listen is reported through listen(); keep it from becoming an unhandled rejection.
    this.#bound = this.#listenPromise.then(
      () => {},
      () => {},
    );
  }

  #front(server: http.Server): void {
    this.#httpServer = server;
    const unfront = frontHttpServer(server, (fallback) => this.#makeNetAccept(fallback));
    // Upgrades on connections node:http already owns (a proxy's keep-alive upstream connection that carried plain
    // HTTP first) arrive through its `upgrade` event: the http path answers those, and 404s other paths nobody takes.
    const detachRoute = attachRoute(server, {
      shouldHandle: (req) => this.#shouldHandle(req),
      handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
    });
    this.#detach = () => {
      unfront();
      detachRoute();
    };
  }

  #attach(server: http.Server | https.Server): void {
    this.#httpServer = server;
    const detachRoute = attachRoute(server, {
      shouldHandle: (req) => this.#shouldHandle(req),
      handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
    });
    const untrackTls = server instanceof tls.Server ? boundTlsHandshakes(server, this.#ctx.handshakeTimeoutMs) : null;
    this.#detach = () => {
      detachRoute();
      untrackTls?.();
    };
  }

  #reserve(ip: string): 'ok' | 'global' | 'ip' {
    if (this.#reserved >= this.#maxConnections) return 'global';
    // Without a per-address cap the count per address is not needed: no map entry per connection.
    if (this.#maxPerIp !== Infinity) {
      const n = this.#perIp.get(ip) ?? 0;
      if (n >= this.#maxPerIp) return 'ip';
      this.#perIp.set(ip, n + 1);
    }
    this.#reserved++;
    return 'ok';
  }

  #release(ip: string): void {
    this.#reserved--;
    if (this.#maxPerIp === Infinity) return;
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, n);
  }

  #emitError(err: Error): void {
    if (channels.error.hasSubscribers) channels.error.publish({ socket: null, error: err });
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
