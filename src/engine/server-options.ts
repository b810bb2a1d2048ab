// Node binding: the WebSocket server's options, their validation and their defaults.
import type http from 'node:http';
import type https from 'node:https';
import { serverDeflateConfig, type PerMessageDeflateServerOptions } from './deflate-config.ts';
import { nonNegative, slowConsumerSettings } from './option-checks.ts';
import type { SlowConsumerPolicy } from './socket-binding.ts';
import { TrustedProxies } from './trusted-proxies.ts';
import type { AcceptHook, HandleProtocols, UpgradeContext } from './upgrade.ts';

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
  /**
   * How connections reach the handshake (docs/engine.md "Accept paths"):
   * - `'net'`: the engine reads each connection's first request with its own parser
   *   (`RequestHeadParser`) and answers upgrades without node:http. Standalone, the server is a
   *   bare `net.Server` (plain HTTP gets 426); with `server`, it reads the connections of that
   *   http.Server first and hands plain HTTP (and upgrades for other paths, when it has `upgrade`
   *   listeners) to it. Hooks and events then receive a lightweight request with the fields of
   *   `IncomingMessage` an upgrade handler reads (`method`, `url`, `httpVersion`, `headers`,
   *   `headersDistinct`, `rawHeaders`, `socket`), not a stream.
   * - `'http'`: Node's http.Server parses the request and emits `upgrade` (the escape hatch, and
   *   the way to compare).
   * @default 'net' with `port` (no `tls`): half the memory and CPU per connection of Node's HTTP
   *   parser objects; 'http' with `port` + `tls`, with `server` (another listener may own the
   *   upgrades) and with `noServer`
   */
  acceptPath?: 'http' | 'net';
  /** Only `handleUpgrade()` is used; the application routes upgrades itself. */
  noServer?: boolean;
  /**
   * Only upgrades for this pathname are handled (the query is ignored). Standalone: other paths
   * get 404. Attached: other paths are left to other `upgrade` listeners, or get 404 when there are none.
   * @default undefined: every path
   */
  path?: string;
  /**
   * Also handle upgrades whose pathname starts with this prefix (and goes on after it), such as `/yjs/` for
   * `/yjs/<document>`; the accept hook sees the request and tells them apart. Needs `path`.
   * @default undefined: `path` only
   */
  pathPrefix?: string;
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
  /**
   * Keep the upgrade request's headers on each connection as `ws.request` (`{ headers, url }`).
   * @default false: `ws.request` is null and an idle connection holds no copy of its headers (~300 bytes); the
   *   `connection` event's `req` and the `accept` hook see every header, which is where applications read them
   */
  keepRequestHeaders?: boolean;
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

/** The settings part of a server's {@link UpgradeContext}: what every handshake and connection of it is given. */
export type ServerSettings = Pick<
  UpgradeContext,
  | 'accept'
  | 'handleProtocols'
  | 'handshakeTimeoutMs'
  | 'retryAfterSeconds'
  | 'connection'
  | 'binding'
  | 'perMessageDeflate'
  | 'heartbeat'
  | 'keepRequestHeaders'
>;

/** {@link ServerOptions} checked, with every default applied. */
export interface ResolvedServerOptions {
  /** Only upgrades for this pathname are handled; undefined: every path. */
  readonly path: string | undefined;
  /** Upgrades whose pathname starts with this are handled too; undefined: none. */
  readonly pathPrefix: string | undefined;
  /** How connections reach the handshake (see {@link ServerOptions.acceptPath}). */
  readonly acceptPath: 'http' | 'net';
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly proxies: TrustedProxies;
  readonly settings: ServerSettings;
}

/**
 * Checks the options of a {@link WebSocketServer} and applies the defaults documented on {@link ServerOptions}.
 * @param options - as given to the constructor
 * @returns the options resolved
 * @throws TypeError unless exactly one of `port`, `server`, `noServer` is given, for a path not starting with "/"
 *   and for an unknown slow-consumer policy
 * @throws RangeError for a negative limit
 */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const modes =
    Number(options.port !== undefined) + Number(options.server !== undefined) + Number(options.noServer === true);
  if (modes !== 1) throw new TypeError('Cannot create a WebSocketServer: give exactly one of port, server or noServer');
  const acceptPath = resolveAcceptPath(options);
  if (options.path !== undefined && !options.path.startsWith('/'))
    throw new TypeError('Cannot use path: it must start with "/"');
  if (options.pathPrefix !== undefined && (!options.pathPrefix.startsWith('/') || options.path === undefined))
    throw new TypeError('Cannot use pathPrefix: it must start with "/", and path must be set');
  const maxMessageSize = nonNegative('maxMessageSize', options.maxMessageSize, 64 * 1024 * 1024);
  const handshakeTimeoutMs = nonNegative('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000);
  const closeTimeoutMs = nonNegative('closeTimeoutMs', options.closeTimeoutMs, 5_000);
  const maxConnections = nonNegative('maxConnections', options.maxConnections, Infinity);
  const maxConnectionsPerIp = nonNegative('maxConnectionsPerIp', options.maxConnectionsPerIp, Infinity);
  const proxies = new TrustedProxies(options.trustedProxies ?? []);
  const slowConsumer = slowConsumerSettings(options);
  const settings: ServerSettings = {
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
      closeTimeoutMs,
      sendHighWaterMark: nonNegative('sendHighWaterMark', options.sendHighWaterMark, 1024 * 1024),
      ...slowConsumer,
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
    keepRequestHeaders: options.keepRequestHeaders === true,
  };
  return {
    path: options.path,
    pathPrefix: options.pathPrefix,
    acceptPath,
    maxConnections,
    maxConnectionsPerIp,
    proxies,
    settings,
  };
}

function resolveAcceptPath(options: ServerOptions): 'http' | 'net' {
  const given = options.acceptPath;
  if (given !== undefined && given !== 'http' && given !== 'net')
    throw new TypeError(`Cannot use acceptPath "${String(given)}": expected 'http' or 'net'`);
  if (options.noServer === true) {
    if (given === 'net')
      throw new TypeError('Cannot use acceptPath "net" with noServer: the application reads the requests');
    return 'http';
  }
  if (options.port !== undefined) {
    if (options.tls !== undefined) {
      if (given === 'net') throw new TypeError('Cannot use acceptPath "net" with tls: use acceptPath "http"');
      return 'http';
    }
    return given ?? 'net';
  }
  return given ?? 'http';
}
