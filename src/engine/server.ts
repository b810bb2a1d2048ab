// Node binding: the WebSocket server: standalone, attached to an http(s).Server, or noServer.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { Opcode, serializeFrame } from '../protocol/index.ts';
import { serverDeflateConfig, type PerMessageDeflateServerOptions } from './deflate-config.ts';
import { BroadcastCompression } from './deflate-channel.ts';
import { channels } from './diagnostics.ts';
import { attachRoute, boundTlsHandshakes } from './attach.ts';
import { closeAll } from './shutdown.ts';
import { Deadline, deadlineQueue } from './deadlines.ts';
import { TrustedProxies } from './trusted-proxies.ts';
import { nonNegative } from './option-checks.ts';
import type { SlowConsumerPolicy } from './socket-binding.ts';
import {
  handleUpgradeRequest,
  writeRejection,
  type AcceptHook,
  type HandleProtocols,
  type UpgradeContext,
} from './upgrade.ts';
import { kSendPrebuilt, type WebSocket } from './websocket.ts';

/** Options of {@link WebSocketServer}. Exactly one of `port`, `server` or `noServer` is given. */
export interface ServerOptions {
  /** Standalone: the server creates, listens on and owns its http.Server (0 picks a free port). */
  port?: number;
  /**
   * Standalone: the address to listen on.
   * @default '127.0.0.1', so a development server is not exposed by accident; use '0.0.0.0' or '::' to serve a network
   */
  host?: string;
  /**
   * Standalone over TLS (wss://): key, cert, ca... as for `https.createServer`. The TLS handshake
   * is bounded by `handshakeTimeoutMs` too (Node's own default is 120 s, HS-19).
   * @default undefined: plain ws://
   */
  tls?: https.ServerOptions;
  /** Attach: handle `upgrade` events of this existing server (other requests are left alone). */
  server?: http.Server | https.Server;
  /** Only `handleUpgrade()` is used; the application routes upgrades itself. */
  noServer?: boolean;
  /**
   * Only upgrades for this pathname are handled (the query is ignored). Standalone: other paths
   * get 404. Attached: other paths are left to other `upgrade` listeners, or get 404 when there are none.
   * @default undefined: every path
   */
  path?: string;
  /** Decides whether an upgrade is accepted (authentication, origin checks); may be async. */
  accept?: AcceptHook;
  /**
   * Picks a subprotocol from the client's list.
   * @default undefined: none is chosen (a client that requires one then fails the handshake)
   */
  handleProtocols?: HandleProtocols;
  /**
   * Largest message in bytes; bigger ones close with 1009.
   * @default 67108864 (64 MiB): large enough for files, small enough that one peer cannot take the process's memory
   */
  maxMessageSize?: number;
  /** @default maxMessageSize: a larger frame could never form a valid message */
  maxFrameSize?: number;
  /** Opt-in cap on frames per message (1008 beyond it). @default Infinity: fragments are bounded by bytes (continuation headers count against maxMessageSize) */
  maxFragments?: number;
  /**
   * Deadline for a connection to complete the handshake, accept hook included (slowloris, HS-17/18).
   * @default 10000: far above any honest client, far below Node's 60 s headersTimeout
   */
  handshakeTimeoutMs?: number;
  /**
   * Heartbeat ping interval; 0 disables it.
   * @default 30000: below nginx's 60 s proxy_read_timeout, so proxied idle connections stay open
   */
  pingIntervalMs?: number;
  /**
   * Time a pong may take before the peer is terminated.
   * @default 10000: generous for a round trip, short enough to reap dead peers within a minute
   */
  pongTimeoutMs?: number;
  /**
   * Time the peer gets to answer our Close (and to close TCP) before the socket is destroyed.
   * @default 5000: a live peer answers in one round trip
   */
  closeTimeoutMs?: number;
  /**
   * Open connections plus handshakes in progress; beyond it upgrades get 503 + Retry-After.
   * @default Infinity: capacity is an operator decision
   */
  maxConnections?: number;
  /**
   * Same cap per remote address (RX-08).
   * @default Infinity: behind a proxy every client shares its address
   */
  maxConnectionsPerIp?: number;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client. For a connection from one of them,
   * `maxConnectionsPerIp`, `WebSocket.remoteAddress` and the accept hook's `address` use the nearest address of the
   * chain that is not a trusted proxy; from anyone else the header is ignored.
   * @default []: no header is believed
   */
  trustedProxies?: readonly string[];
  /**
   * `Retry-After` of the 503 answers.
   * @default 5: short enough for a fast retry, long enough to spread a reconnect storm
   */
  retryAfterSeconds?: number;
  /**
   * Bytes queued per connection before the slow-consumer policy applies.
   * @default 1048576 (1 MiB, uWS `maxBackpressure`)
   */
  sendHighWaterMark?: number;
  /**
   * What happens to sends beyond `sendHighWaterMark`.
   * @default 'wait': the engine never drops data on its own; real-time servers pick 'drop' or 'close'
   */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /**
   * Close code of the 'close' policy.
   * @default 1008 (policy violation); 1013 (try again later) is the alternative
   */
  slowConsumerCloseCode?: 1008 | 1013;
  /**
   * Bytes of incomplete frames and messages held for all connections of this server together
   * (LM-06); the connection whose read goes past it fails with 1013.
   * @default 536870912 (512 MiB): eight maximum-size messages in flight at once; beyond that many
   *   peers each holding a message just under the per-connection caps would pin the process's memory
   */
  maxBufferedInputBytes?: number;
  /**
   * permessage-deflate (RFC 7692): `true` accepts offers with the defaults, an object narrows what
   * is accepted and sets the threshold and zlib concurrency (see docs/deflate.md). Invalid offers
   * are declined, never answered with 400.
   * @default false: compression costs about 300 KiB of zlib memory per busy connection and can
   *   leak secrets through message lengths (CRIME/BREACH, RFC 7692 §9); enable it where it pays
   */
  perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
}

/** Close options of {@link WebSocketServer.close}. */
export interface ServerCloseOptions {
  /** @default 1001 (going away, RFC 6455 §7.4.1) */
  code?: number;
  /** @default 'Server shutting down' */
  reason?: string;
  /** @default closeTimeoutMs of the server */
  timeoutMs?: number;
}

/** A refused handshake, as emitted with the server's `rejected` event. */
export interface RejectedUpgrade {
  readonly status: number;
  readonly reason: string;
  readonly req: http.IncomingMessage;
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

function pathnameOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * A WebSocket server. Standalone (`port`) it owns an http.Server that answers plain HTTP with
 * 426; attached (`server`) it handles the upgrades for its `path`; with `noServer` the
 * application calls {@link handleUpgrade}. Every upgrade is answered: 101, or an HTTP error and
 * a closed socket.
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
  readonly #closeTimeoutMs: number;
  readonly #maxConnections: number;
  readonly #maxPerIp: number;
  /** Standalone: sockets still in the HTTP phase, with their deadline (see #createStandalone). */
  readonly #preUpgrade = new WeakMap<Duplex, SocketDeadline>();
  /** Standalone: the one 'close' listener of every socket in the HTTP phase (`this` is the socket). */
  readonly #onPreUpgradeClose: (this: Duplex) => void;
  #reserved = 0;
  #httpServer: http.Server | https.Server | null = null;
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
    const modes =
      Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
    if (modes !== 1)
      throw new TypeError('Cannot create a WebSocketServer: give exactly one of port, server or noServer');
    if (options.path !== undefined && !options.path.startsWith('/'))
      throw new TypeError('Cannot use path: it must start with "/"');
    this.#path = options.path;
    const maxMessageSize = nonNegative('maxMessageSize', options.maxMessageSize, 64 * 1024 * 1024);
    const handshakeTimeoutMs = nonNegative('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000);
    this.#closeTimeoutMs = nonNegative('closeTimeoutMs', options.closeTimeoutMs, 5_000);
    this.#maxConnections = nonNegative('maxConnections', options.maxConnections, Infinity);
    this.#maxPerIp = nonNegative('maxConnectionsPerIp', options.maxConnectionsPerIp, Infinity);
    const proxies = new TrustedProxies(options.trustedProxies ?? []);
    const policy = options.slowConsumerPolicy ?? 'wait';
    if (policy !== 'wait' && policy !== 'drop' && policy !== 'close')
      throw new TypeError(`Cannot use slowConsumerPolicy "${String(policy)}"`);
    this.#ctx = {
      accept: options.accept,
      handleProtocols: options.handleProtocols,
      handshakeTimeoutMs,
      retryAfterSeconds: nonNegative('retryAfterSeconds', options.retryAfterSeconds, 5),
      connection: {
        maxMessageSize,
        maxFrameSize: nonNegative('maxFrameSize', options.maxFrameSize, maxMessageSize),
        maxFragments: nonNegative('maxFragments', options.maxFragments, Infinity),
      },
      binding: {
        closeTimeoutMs: this.#closeTimeoutMs,
        sendHighWaterMark: nonNegative('sendHighWaterMark', options.sendHighWaterMark, 1024 * 1024),
        slowConsumerPolicy: policy,
        slowConsumerCloseCode: options.slowConsumerCloseCode ?? 1008,
        inputBudget: {
          limit: nonNegative('maxBufferedInputBytes', options.maxBufferedInputBytes, 512 * 1024 * 1024),
          used: 0,
        },
      },
      perMessageDeflate: serverDeflateConfig(options.perMessageDeflate),
      heartbeat: {
        pingIntervalMs: nonNegative('pingIntervalMs', options.pingIntervalMs, 30_000),
        pongTimeoutMs: nonNegative('pongTimeoutMs', options.pongTimeoutMs, 10_000),
      },
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

    const preUpgrade = this.#preUpgrade;
    this.#onPreUpgradeClose = function (this: Duplex) {
      const deadline = preUpgrade.get(this);
      if (deadline === undefined) return;
      preUpgrade.delete(this);
      deadline.armedIn?.cancel(deadline);
    };

    if (options.port !== undefined) {
      this.#createStandalone(options.port, options.host ?? '127.0.0.1', handshakeTimeoutMs, options.tls);
    } else if (options.server !== undefined) {
      this.#attach(options.server);
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
    this.#endPreUpgrade(socket);
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
          server.closeIdleConnections();
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
      if (this.#ownsServer && server !== null) server.closeAllConnections();
      await stopped;
      this.emit('close');
    })();
    return this.#closePromise;
  }

  #shouldHandle(req: http.IncomingMessage): boolean {
    return this.#path === undefined || pathnameOf(req.url) === this.#path;
  }

  #createStandalone(
    port: number,
    host: string,
    handshakeTimeoutMs: number,
    tlsOptions: https.ServerOptions | undefined,
  ): void {
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
    this.#httpServer = server;
    this.#ownsServer = true;
    // Over TLS the deadline below starts once TLS is up; the TLS handshake has its own (handshakeTimeout).
    server.on(tlsOptions === undefined ? 'connection' : 'secureConnection', (socket: Duplex) => {
      // Node's checker only runs every connectionsCheckingInterval and not for a silent
      // connection: our own deadline covers both (HS-17, HS-18).
      // One entry object per socket in a shared deadline queue; nothing of it outlives the upgrade.
      const deadline = new SocketDeadline(socket);
      deadlineQueue(handshakeTimeoutMs).arm(deadline);
      this.#preUpgrade.set(socket, deadline);
      socket.once('close', this.#onPreUpgradeClose);
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
      if (!this.#shouldHandle(req)) {
        this.#endPreUpgrade(socket);
        socket.on('error', () => {});
        this.#ctx.rejected({ status: 404, reason: 'WS_ERR_UNKNOWN_PATH', req });
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
      this.handleUpgrade(req, socket, head);
    });
    server.on('error', (err: Error) => this.#emitError(err));
    server.on('listening', () => this.emit('listening'));
    this.#listenPromise = new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.removeListener('error', onError);
        resolve(server.address() as AddressInfo);
      });
    });
    // A failed listen is reported through listen(); keep it from becoming an unhandled rejection.
    this.#bound = this.#listenPromise.then(
      () => {},
      () => {},
    );
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

  /** Standalone: the socket left the HTTP phase (upgraded, refused or closed): drop its deadline. */
  #endPreUpgrade(socket: Duplex): void {
    const deadline = this.#preUpgrade.get(socket);
    if (deadline === undefined) return;
    this.#preUpgrade.delete(socket);
    deadline.armedIn?.cancel(deadline);
    socket.removeListener('close', this.#onPreUpgradeClose);
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
