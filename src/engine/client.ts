// Node binding: the client side: dial ws:// or wss:// over net/tls, run the opening handshake, bind the socket.
import type net from 'node:net';
import type tls from 'node:tls';
import {
  buildClientRequest,
  buildDeflateOffer,
  Connection,
  generateKey,
  HandshakeError,
  PERMESSAGE_DEFLATE,
  ResponseHeadReader,
  serializeExtensions,
  validateDeflateResponse,
  validateUpgradeResponse,
  type DeflateParams,
  type UpgradeResponse,
} from '../protocol/index.ts';
import { checkDialOptions, dial, dialError, parseTarget } from './client-dial.ts';
import { clientDeflateConfig, type PerMessageDeflateClientOptions } from './deflate-config.ts';
import { PerMessageDeflate } from './deflate.ts';
import { nonNegative, slowConsumerSettings } from './option-checks.ts';
import type { SlowConsumerPolicy } from './socket-binding.ts';
import { kAttach, kFailConnecting, kSetAbort, kStart, WebSocket } from './websocket.ts';

/** Options of {@link connect} and {@link createWebSocket}. */
export interface ClientOptions {
  /** Extra request headers (e.g. `Authorization`); the handshake's own headers cannot be overridden. */
  headers?: Record<string, string>;
  /** Subprotocols to offer, in order of preference; the server must pick one of them. */
  protocols?: string[];
  /** `Origin` header to send (browsers always send one; Node clients usually do not). */
  origin?: string;
  /** Aborts the connection attempt (not an open connection: use `close()` for that). */
  signal?: AbortSignal;
  /** TLS options for wss:// (`ca`, `rejectUnauthorized`, `servername`, client certificates...). */
  tls?: tls.ConnectionOptions;
  /**
   * Local IP address to connect from (multi-homed hosts; tests of per-address limits, e.g. from
   * 127.0.0.2 on Linux's 127/8 loopback). An address this host does not have fails `connect()`
   * with `EADDRNOTAVAIL` before any packet is sent.
   * @default the address the routing table picks
   */
  localAddress?: string;
  /**
   * IP family the host name resolves to: 4, 6, or 0 for either.
   * @default 0
   */
  family?: number;
  /**
   * Resolves the host name instead of `dns.lookup` (same signature): a custom resolver, a cache, or
   * a fixed answer for a name DNS does not know. Not called for an IP literal.
   * @default dns.lookup
   */
  lookup?: net.LookupFunction;
  /**
   * Deadline for TCP connect, TLS and the HTTP answer together (CLT-06).
   * @default 10000: far above any honest server
   */
  handshakeTimeoutMs?: number;
  /**
   * Largest message accepted from the server; bigger ones close with 1009.
   * @default 67108864 (64 MiB), as the server
   */
  maxMessageSize?: number;
  /** @default maxMessageSize */
  maxFrameSize?: number;
  /** Opt-in cap on frames per message (1008 beyond it). @default Infinity, as the server */
  maxFragments?: number;
  /**
   * Largest HTTP response head (status line, headers and the blank line) accepted during the
   * handshake; a longer one, or one with more than 100 header lines, fails with `WS_ERR_INVALID_RESPONSE`.
   * @default 16384, as Node's maxHeaderSize
   */
  maxResponseHeadBytes?: number;
  /**
   * Time the server gets to answer our Close and to close TCP (RFC 6455 §7.1.1: the client waits for the server's FIN).
   * @default 5000
   */
  closeTimeoutMs?: number;
  /**
   * Heartbeat ping interval; 0 disables it.
   * @default 0: servers run the heartbeat; a client enables it to detect a dead server itself
   */
  pingIntervalMs?: number;
  /** @default 10000 */
  pongTimeoutMs?: number;
  /** @default 1048576 (1 MiB) */
  sendHighWaterMark?: number;
  /** @default 'wait' */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /** @default 1008 */
  slowConsumerCloseCode?: 1008 | 1013;
  /**
   * Offer permessage-deflate (RFC 7692): `true` offers `permessage-deflate; client_max_window_bits`,
   * an object sets what is asked for plus the threshold and zlib concurrency (see docs/deflate.md).
   * The server's answer is checked (RFC 7692 §7: an invalid answer fails the handshake), and
   * inflated messages count toward `maxMessageSize` (a server's decompression bomb closes with 1009).
   * @default false: as the server, compression is opt-in (memory per connection, CRIME-style
   *   length leaks); ws offers it by default, browsers too
   */
  perMessageDeflate?: boolean | PerMessageDeflateClientOptions;
  /** Masking-key source (tests); the default draws from a CSPRNG pool (RFC 6455 §5.3). */
  maskKeySource?: () => Uint8Array;
  /**
   * Called with the server's HTTP answer (status and lower-case headers) before it is checked:
   * the 101 before `open`, or the refusal before the HandshakeError (ws's `upgrade` and
   * `unexpected-response` events). An exception thrown here fails the handshake.
   */
  onResponse?: (res: HandshakeResponse) => void;
}

/** The server's answer to the opening handshake, as given to {@link ClientOptions.onResponse}. */
export interface HandshakeResponse {
  readonly statusCode: number;
  /** Lower-case names; a repeated header is an array. */
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/**
 * A refusal (status other than 101) carries the server's headers, so a caller can read e.g.
 * `Retry-After` of a 503 from `err.headers['retry-after']`. Repeated headers are joined with ", ".
 */
function withResponseHeaders(err: unknown, response: UpgradeResponse | null): Error {
  if (!(err instanceof HandshakeError)) return err instanceof Error ? err : new Error(String(err));
  if (response === null || response.statusCode === 101) return err;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new HandshakeError(err.message, { code: err.code, status: err.status, headers, cause: err.cause });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The connection attempt was aborted', 'AbortError');
}

/**
 * Starts connecting and returns the WebSocket at once, CONNECTING, as the WHATWG constructor
 * does: `open` (or `error` then `close` 1006) follows. Use {@link connect} to await the handshake.
 * @param url - ws://, wss:// (http:// and https:// are mapped to them)
 * @param options - headers, protocols, TLS, timeouts, limits
 * @returns the connecting socket
 * @throws SyntaxError for an invalid URL or one with a fragment; TypeError for invalid protocols,
 *   headers, `localAddress` or `lookup`; RangeError for a negative limit or a `family` other than 0, 4, 6
 * @example
 * ```ts
 * const ws = createWebSocket('ws://127.0.0.1:8080/');
 * ws.onopen = () => ws.send('hi');
 * ```
 */
export function createWebSocket(url: string | URL, options: ClientOptions = {}): WebSocket {
  return openClient(url, options, null);
}

/**
 * Opens a client connection and resolves once the handshake succeeded (RFC 6455 §4.1).
 * Messages the server sends right after the handshake are delivered after the promise's
 * continuation ran, so handlers set right after `await` see them.
 * @param url - ws://, wss:// (http:// and https:// are mapped to them)
 * @param options - headers, protocols, AbortSignal, TLS, timeouts, limits
 * @returns the open WebSocket
 * @throws (rejects) HandshakeError with the server's `status` (e.g. 404, 426) or status 101 when
 *   the 101 answer was invalid, status 0 `WS_ERR_INVALID_RESPONSE` for a malformed head; the AbortSignal's
 *   reason; a socket error naming the failed step and keeping its `code` (`EADDRNOTAVAIL` for a
 *   `localAddress` this host lacks, `ENOTFOUND`, `ECONNREFUSED`); SyntaxError for a bad URL
 * @example
 * ```ts
 * const ws = await connect('ws://127.0.0.1:8080/', { protocols: ['chat'] });
 * for await (const message of ws) console.log(message);
 * ```
 */
export function connect(url: string | URL, options: ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket | null = null;
    try {
      ws = openClient(url, options, (err) => {
        if (err === null) resolve(ws!);
        else reject(err);
      });
    } catch (err) {
      reject(err);
    }
  });
}

function openClient(
  url: string | URL,
  options: ClientOptions,
  settle: ((err: Error | null) => void) | null,
): WebSocket {
  const deflateConfig = clientDeflateConfig(options.perMessageDeflate);
  const target = parseTarget(url);
  const protocols = options.protocols ?? [];
  const key = generateKey();
  const requestInit: Parameters<typeof buildClientRequest>[0] = {
    host: target.hostHeader,
    path: target.path,
    key,
    protocols,
  };
  if (options.origin !== undefined) requestInit.origin = options.origin;
  if (options.headers !== undefined) requestInit.headers = options.headers;
  if (deflateConfig !== null) requestInit.extensions = buildDeflateOffer(deflateConfig.negotiation);
  const request = buildClientRequest(requestInit);
  const handshakeTimeoutMs = nonNegative('handshakeTimeoutMs', options.handshakeTimeoutMs, 10_000);
  const reader = new ResponseHeadReader({
    maxHeadBytes: nonNegative('maxResponseHeadBytes', options.maxResponseHeadBytes, 16 * 1024),
  });
  checkDialOptions(options);
  const maxMessageSize = nonNegative('maxMessageSize', options.maxMessageSize, 64 * 1024 * 1024);
  const connectionOptions: ConstructorParameters<typeof Connection>[0] = {
    role: 'client',
    maxMessageSize,
    maxFrameSize: nonNegative('maxFrameSize', options.maxFrameSize, maxMessageSize),
    maxFragments: nonNegative('maxFragments', options.maxFragments, Infinity),
  };
  if (options.maskKeySource !== undefined) connectionOptions.maskKeySource = options.maskKeySource;

  const ws = new WebSocket({
    role: 'client',
    url: target.href,
    remoteAddress: '',
    request: null,
    context: undefined,
    binding: {
      closeTimeoutMs: nonNegative('closeTimeoutMs', options.closeTimeoutMs, 5_000),
      sendHighWaterMark: nonNegative('sendHighWaterMark', options.sendHighWaterMark, 1024 * 1024),
      ...slowConsumerSettings(options),
      inputBudget: null,
    },
    heartbeat: {
      pingIntervalMs: nonNegative('pingIntervalMs', options.pingIntervalMs, 0),
      pongTimeoutMs: nonNegative('pongTimeoutMs', options.pongTimeoutMs, 10_000),
    },
    onClosed: null,
  });

  const signal = options.signal;
  let done = false;
  let socket: net.Socket | null = null;
  let timer: NodeJS.Timeout | null = null;

  const fail = (err: Error): void => {
    if (done) return;
    done = true;
    cleanup();
    socket?.destroy();
    settle?.(err);
    ws[kFailConnecting](err);
  };
  const onAbort = (): void => fail(abortReason(signal!));
  const cleanup = (): void => {
    if (timer !== null) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    ws[kSetAbort](null);
  };
  ws[kSetAbort](() => fail(new Error('Cannot open the WebSocket: closed before the handshake completed')));

  if (signal?.aborted === true) {
    process.nextTick(() => fail(abortReason(signal)));
    return ws;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  timer = setTimeout(() => fail(new Error('Cannot open the WebSocket: handshake timed out')), handshakeTimeoutMs);

  const s = dial(target, options);
  socket = s;
  s.setNoDelay(true);
  const onError = (err: Error): void => fail(dialError(err, target, options));
  s.on('error', onError);
  const onEarlyClose = (): void =>
    fail(new Error('Cannot open the WebSocket: the connection closed during the handshake'));
  s.on('close', onEarlyClose);
  s.once(target.secure ? 'secureConnect' : 'connect', () => {
    s.write(request);
  });

  const onData = (chunk: Buffer): void => {
    if (done) return;
    let parsed: ReturnType<ResponseHeadReader['push']>;
    try {
      parsed = reader.push(chunk);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (parsed === null) return;
    // Stop the flow before the socket changes hands, so no byte is read by nobody.
    s.pause();
    s.removeListener('data', onData);
    const response: UpgradeResponse = parsed.head;
    let result: { protocol: string };
    let deflateParams: DeflateParams | null = null;
    let extensions = '';
    try {
      options.onResponse?.(response as HandshakeResponse);
      const valid = validateUpgradeResponse(response, {
        key,
        protocols,
        extensionsOffered: deflateConfig === null ? [] : [PERMESSAGE_DEFLATE],
      });
      result = valid;
      const accepted = valid.extensions.find((ext) => ext.name === PERMESSAGE_DEFLATE);
      if (accepted !== undefined && deflateConfig !== null) {
        // RFC 7692 §7: "A client MUST _Fail the WebSocket Connection_" on an invalid answer (throws HandshakeError).
        deflateParams = validateDeflateResponse(accepted, deflateConfig.negotiation);
        extensions = serializeExtensions([accepted]);
      }
    } catch (err) {
      fail(withResponseHeaders(err, response));
      return;
    }
    done = true;
    cleanup();
    s.removeListener('error', onError);
    s.removeListener('close', onEarlyClose);
    const head = parsed.rest;
    if (deflateParams !== null) connectionOptions.rsv1Extension = true;
    ws[kAttach](s, new Connection(connectionOptions), {
      protocol: result.protocol,
      extensions,
      remoteAddress: s.remoteAddress ?? '',
      deflate:
        deflateParams === null || deflateConfig === null
          ? null
          : new PerMessageDeflate({
              role: 'client',
              params: deflateParams,
              threshold: deflateConfig.threshold,
              maxMessageSize,
              limiter: deflateConfig.limiter,
            }),
    });
    settle?.(null);
    // After the connect() continuation: handlers set right after `await connect()` see every message.
    setImmediate(() => ws[kStart](head.length > 0 ? head : null, true));
  };
  s.on('data', onData);
  return ws;
}
