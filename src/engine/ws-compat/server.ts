// Node binding: ws's `WebSocketServer` (port / server / noServer, verifyClient, 'headers', handleUpgrade(cb)) over the engine's server.
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { computeAcceptKey } from '../../protocol/index.ts';
import { WebSocketServer as EngineServer } from '../server.ts';
import { writeRejection, type AcceptOk, type AcceptResult } from '../upgrade.ts';
import type { WebSocket as EngineWebSocket } from '../websocket.ts';
import { WS_DEFAULT_MAX_PAYLOAD } from './client-options.ts';
import { toEngineServerDeflate, type WsPerMessageDeflateOptions } from './deflate-options.ts';
import { kBindServer, WebSocket } from './websocket.ts';

/** What `verifyClient` receives (ws). */
export interface VerifyClientInfo {
  /** The `Origin` request header. */
  readonly origin: string | undefined;
  /** Whether the request came over TLS. */
  readonly secure: boolean;
  readonly req: IncomingMessage;
}

/** The callback of the 2-argument `verifyClient`: false refuses with `code` (401 by default), `message` and `headers`. */
export type VerifyClientCallback = (
  result: boolean,
  code?: number,
  message?: string,
  headers?: OutgoingHttpHeaders,
) => void;

/** ws's `verifyClient`, synchronous (return false to answer 401) or with a callback (two parameters). */
export type VerifyClient =
  | ((info: VerifyClientInfo) => boolean)
  | ((info: VerifyClientInfo, cb: VerifyClientCallback) => void);

/** Picks a subprotocol from the client's offer; a falsy result selects none. */
export type WsHandleProtocols = (protocols: Set<string>, req: IncomingMessage) => string | false | null | undefined;

/** Options of {@link WebSocketServer} (ws's names). Exactly one of `port`, `server` and `noServer`. */
export interface WsServerOptions {
  /** Standalone: create an http.Server answering plain requests with 426, listening on this port (0: a free one). */
  port?: number;
  /**
   * Standalone: address to listen on.
   * @default undefined: every interface, as ws and `net.Server#listen` do (the adapter keeps ws's behaviour;
   *   the engine's own server defaults to 127.0.0.1)
   */
  host?: string;
  /** Standalone: listen backlog, passed to `listen()`. */
  backlog?: number;
  /** Attach to the upgrades of an existing http(s).Server. */
  server?: http.Server | https.Server;
  /** The application calls {@link WebSocketServer.handleUpgrade} itself. */
  noServer?: boolean;
  /** Only this pathname is accepted (the query is ignored); other upgrades get 400, as in ws. */
  path?: string;
  /** Accepts or refuses each upgrade (authentication, origin). */
  verifyClient?: VerifyClient;
  /**
   * Picks the subprotocol.
   * @default the first one offered (ws)
   */
  handleProtocols?: WsHandleProtocols;
  /**
   * Largest message in bytes; bigger ones emit `error` (WS_ERR_UNSUPPORTED_MESSAGE_LENGTH) and close with 1009.
   * @default 104857600 (100 MiB), ws's default, so ws users see no change
   */
  maxPayload?: number;
  /**
   * permessage-deflate (RFC 7692): `true` accepts offers with the engine's defaults, an object
   * (ws's field names) narrows them; see {@link WsPerMessageDeflateOptions}.
   * @default false (ws): compression costs zlib memory per connection and can leak secrets through lengths
   */
  perMessageDeflate?: boolean | WsPerMessageDeflateOptions;
  /**
   * Keep {@link WebSocketServer.clients}.
   * @default true (ws)
   */
  clientTracking?: boolean;
  /** Ignored: text is always validated (RFC 6455 §8.1). */
  skipUTF8Validation?: boolean;
}

/** Deadline for a request head on the standalone server; the engine's handshakeTimeoutMs default. */
const STANDALONE_HEAD_TIMEOUT_MS = 10_000;
const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** Header names the engine writes on the 101 itself; a `headers` listener cannot replace them. */
const ACCEPT_OWN = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
]);
/** Header names the engine writes on a refusal itself. */
const REJECT_OWN = new Set(['connection', 'content-length', 'transfer-encoding']);

function noop(): void {}

function headerValue(value: number | string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/** ws's abortHandshake as an accept-hook refusal: the status text as body unless a message is given. */
function refusal(code: number, message?: string, headers?: OutgoingHttpHeaders): AcceptResult {
  const status = Number.isInteger(code) && code >= 300 && code <= 599 ? code : 401;
  const extra: Record<string, string> = {};
  if (headers !== undefined) {
    for (const [name, value] of Object.entries(headers)) {
      const text = headerValue(value);
      if (text !== undefined && !REJECT_OWN.has(name.toLowerCase())) extra[name] = text;
    }
  }
  const result: { status: number; headers: Record<string, string>; body?: string } = { status, headers: extra };
  if (message !== undefined && message !== '') result.body = message;
  return result;
}

/**
 * ws's `WebSocketServer`. Standalone (`port`) it owns an http.Server that answers plain HTTP with
 * 426; attached (`server`) it handles that server's upgrades; with `noServer` the application
 * routes upgrades to {@link handleUpgrade}. Each upgrade goes through the engine's handshake
 * (RFC 6455 §4.2 validation, deadline, caps), with `verifyClient`, `handleProtocols` and the
 * `headers` event run inside the engine's accept hook.
 *
 * Events: `connection` (ws, req), `headers` (lines, req), `listening`, `error`, `close`.
 * As in ws 8, {@link close} stops accepting but leaves open connections alone.
 *
 * @example
 * ```ts
 * const wss = new WebSocketServer({ port: 8080 });
 * wss.on('connection', (ws) => {
 *   ws.on('message', (data) => ws.send(data));
 * });
 * ```
 */
export class WebSocketServer extends EventEmitter {
  /** The options as given (ws exposes them). */
  readonly options: Readonly<WsServerOptions>;
  /** Open connections (kept empty when `clientTracking` is false). */
  readonly clients = new Set<WebSocket>();

  readonly #inner: EngineServer;
  readonly #callbacks = new WeakMap<IncomingMessage, (ws: WebSocket, req: IncomingMessage) => void>();
  readonly #tracking: boolean;
  #server: http.Server | https.Server | null = null;
  #ownsServer = false;
  #removeListeners: (() => void) | null = null;
  #state = RUNNING;
  #closeWhenEmpty = false;

  /**
   * @param options - mode, hooks and limits
   * @param callback - standalone: called once listening
   * @throws TypeError unless exactly one of `port`, `server`, `noServer` is given (ws's message)
   */
  constructor(options: WsServerOptions, callback?: () => void) {
    super();
    const modes =
      Number(options.port !== undefined && options.port !== null) +
      Number(options.server !== undefined && options.server !== null) +
      Number(options.noServer === true);
    if (modes !== 1)
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    this.options = { ...options };
    this.#tracking = options.clientTracking ?? true;
    this.#inner = new EngineServer({
      noServer: true,
      accept: (req, info) => this.#accept(req, info.protocols),
      maxMessageSize: options.maxPayload ?? WS_DEFAULT_MAX_PAYLOAD,
      // ws runs no heartbeat of its own; the README's ping/terminate loop is the application's.
      pingIntervalMs: 0,
      perMessageDeflate: toEngineServerDeflate(options.perMessageDeflate),
    });
    this.#inner.on('connection', (engine: EngineWebSocket, req: IncomingMessage) => this.#onConnection(engine, req));
    this.#inner.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });

    if (options.port !== undefined && options.port !== null) {
      const server = http.createServer(
        {
          // Not in ws: the engine's standalone limits (HS-12 head size, HS-17/18 slow heads), stated so a
          // Node default change cannot widen them. Upgraded sockets leave Node's timeout checks.
          maxHeaderSize: 16 * 1024,
          headersTimeout: STANDALONE_HEAD_TIMEOUT_MS,
          requestTimeout: STANDALONE_HEAD_TIMEOUT_MS,
        },
        (_req, res) => {
          const body = http.STATUS_CODES[426]!;
          res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
          res.end(body);
        },
      );
      this.#server = server;
      this.#ownsServer = true;
      this.#listen(server);
      server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server !== undefined && options.server !== null) {
      this.#server = options.server;
      this.#listen(options.server);
    }
  }

  #listen(server: http.Server | https.Server): void {
    const onListening = (): void => {
      this.emit('listening');
    };
    const onError = (err: Error): void => {
      this.emit('error', err);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      this.handleUpgrade(req, socket, head, (ws, request) => this.emit('connection', ws, request));
    };
    server.on('listening', onListening);
    server.on('error', onError);
    server.on('upgrade', onUpgrade);
    this.#removeListeners = () => {
      server.removeListener('listening', onListening);
      server.removeListener('error', onError);
      server.removeListener('upgrade', onUpgrade);
    };
  }

  /**
   * The listening address.
   * @returns the http.Server's address; null when not listening
   * @throws Error in noServer mode (ws)
   */
  address(): AddressInfo | string | null {
    if (this.options.noServer === true) throw new Error('The server is operating in "noServer" mode');
    return this.#server?.address() ?? null;
  }

  /**
   * Whether this server accepts `req` (ws: the `path` option). Subclasses may override it.
   * @param req - the upgrade request
   */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.options.path;
    if (path !== undefined) {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      if ((q < 0 ? url : url.slice(0, q)) !== path) return false;
    }
    return true;
  }

  /**
   * Runs the handshake on an upgrade and calls `cb` with the open socket. The request is always
   * answered: 101, or an HTTP error and a destroyed socket (400 when {@link shouldHandle} refuses,
   * 401 or the `verifyClient` code, the engine's 4xx for an invalid handshake, 503 after close()).
   * @param req - the upgrade request
   * @param socket - its socket (owned by the server from now on)
   * @param head - bytes after the request head
   * @param cb - receives (ws, req); it usually emits `connection`
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    if (!this.shouldHandle(req)) {
      socket.on('error', noop);
      writeRejection(socket, 400);
      return;
    }
    this.#callbacks.set(req, cb);
    this.#inner.handleUpgrade(req, socket, head);
  }

  #accept(req: IncomingMessage, protocols: readonly string[]): AcceptResult | Promise<AcceptResult> {
    if (this.#state !== RUNNING) return { status: 503 };
    const verify = this.options.verifyClient;
    if (verify === undefined) return this.#complete(req, protocols);
    const socket = req.socket as { authorized?: boolean; encrypted?: boolean };
    const info: VerifyClientInfo = {
      origin: headerValue(req.headers.origin),
      secure: socket.authorized === true || socket.encrypted === true,
      req,
    };
    if (verify.length === 2) {
      return new Promise<AcceptResult>((resolve, reject) => {
        (verify as (info: VerifyClientInfo, cb: VerifyClientCallback) => void)(
          info,
          (result, code, message, headers) => {
            if (!result) {
              resolve(refusal(code ?? 401, message, headers));
              return;
            }
            try {
              resolve(this.#complete(req, protocols));
            } catch (err) {
              reject(err);
            }
          },
        );
      });
    }
    if (!(verify as (info: VerifyClientInfo) => boolean)(info)) return refusal(401);
    return this.#complete(req, protocols);
  }

  /** ws's completeUpgrade up to the write: subprotocol choice and the `headers` event. */
  #complete(req: IncomingMessage, offered: readonly string[]): AcceptOk {
    let protocol = '';
    if (offered.length > 0) {
      const handle = this.options.handleProtocols;
      const chosen = handle !== undefined ? handle(new Set(offered), req) : offered[0];
      if (typeof chosen === 'string') protocol = chosen;
    }
    // The engine validated the key before calling the accept hook.
    const key = headerValue(req.headers['sec-websocket-key']) ?? '';
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`,
    ];
    if (protocol !== '') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    const own = new Set(lines);
    this.emit('headers', lines, req);
    const extra: Record<string, string> = {};
    let hasExtra = false;
    for (const line of lines) {
      if (own.has(line)) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      if (ACCEPT_OWN.has(name.toLowerCase())) continue;
      const value = line.slice(colon + 1).trim();
      // Repeated names are joined: the engine takes one value per name (notes/engine-requests.md item 5).
      extra[name] = extra[name] === undefined ? value : `${extra[name]}, ${value}`;
      hasExtra = true;
    }
    const ok: { protocol?: string; headers?: Record<string, string> } = {};
    if (protocol !== '') ok.protocol = protocol;
    if (hasExtra) ok.headers = extra;
    return ok;
  }

  #onConnection(engine: EngineWebSocket, req: IncomingMessage): void {
    const ws = new WebSocket(null);
    ws[kBindServer](engine);
    if (this.#tracking) {
      this.clients.add(ws);
      ws.once('close', () => {
        this.clients.delete(ws);
        if (this.#closeWhenEmpty && this.clients.size === 0) {
          this.#closeWhenEmpty = false;
          process.nextTick(() => this.#emitClose());
        }
      });
    }
    const cb = this.#callbacks.get(req);
    this.#callbacks.delete(req);
    if (cb !== undefined) cb(ws, req);
    else this.emit('connection', ws, req);
  }

  /**
   * Stops accepting connections (upgrades get 503 from now on) and, standalone, closes the
   * http.Server. Open connections are left alone, as in ws 8: `close` is emitted once the last
   * one closed (standalone: when the http.Server closed; tracking: when `clients` is empty).
   * @param cb - called on `close`; with an Error when the server was already closed (ws)
   */
  close(cb?: (err?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (cb !== undefined) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(() => this.#emitClose());
      return;
    }
    if (cb !== undefined) this.once('close', () => cb());
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    this.#removeListeners?.();
    this.#removeListeners = null;
    const server = this.#server;
    this.#server = null;
    if (this.#ownsServer && server !== null) {
      server.close(() => this.#emitClose());
      return;
    }
    if (this.#tracking && this.clients.size > 0) this.#closeWhenEmpty = true;
    else process.nextTick(() => this.#emitClose());
  }

  #emitClose(): void {
    this.#state = CLOSED;
    this.emit('close');
  }
}
