// Node binding: where the client dials (the ws:// or wss:// URL) and how (net or tls, source address, resolver).
import net from 'node:net';
import tls from 'node:tls';

/** Options of {@link dial}: the socket-level part of the client's options. */
export interface DialOptions {
  /** TLS options for wss://. */
  tls?: tls.ConnectionOptions | undefined;
  /** Local IP address to connect from. */
  localAddress?: string | undefined;
  /** IP family to resolve the host name to: 0 (either), 4 or 6. */
  family?: number | undefined;
  /** Host name resolver, with the signature of `dns.lookup`. */
  lookup?: net.LookupFunction | undefined;
}

/** A parsed ws:// or wss:// URL. */
export interface Target {
  readonly href: string;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly hostHeader: string;
  readonly path: string;
}

/**
 * Parses the URL to connect to; http:// and https:// are mapped to ws:// and wss://.
 * @throws {SyntaxError} for an invalid URL, another scheme, or a fragment (RFC 6455 §3)
 */
export function parseTarget(url: string | URL): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new SyntaxError(`Cannot connect: invalid URL`, { cause: err });
  }
  let secure: boolean;
  switch (u.protocol) {
    case 'ws:':
    case 'http:':
      secure = false;
      break;
    case 'wss:':
    case 'https:':
      secure = true;
      break;
    default:
      throw new SyntaxError(`Cannot connect: unsupported scheme "${u.protocol}"`);
  }
  // RFC 6455 §3: "Fragment identifiers are meaningless in the context of WebSocket URIs and MUST NOT be used".
  if (u.hash !== '' || String(url).includes('#')) throw new SyntaxError('Cannot connect: the URL has a fragment');
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    href: u.href,
    secure,
    hostname,
    port: u.port !== '' ? Number(u.port) : secure ? 443 : 80,
    hostHeader: u.host,
    path: (u.pathname === '' ? '/' : u.pathname) + u.search,
  };
}

/**
 * Checks the socket-level options before anything is dialled, so a typo fails at once.
 * @throws {TypeError} for a `localAddress` that is not an IP address or a `lookup` that is not a function
 * @throws {RangeError} for a `family` other than 0, 4 or 6
 */
export function checkDialOptions(options: DialOptions): void {
  if (
    options.localAddress !== undefined &&
    (typeof options.localAddress !== 'string' || net.isIP(options.localAddress) === 0)
  ) {
    throw new TypeError(`Cannot use localAddress "${String(options.localAddress)}": expected an IPv4 or IPv6 address`);
  }
  if (options.family !== undefined && options.family !== 0 && options.family !== 4 && options.family !== 6) {
    throw new RangeError(`Cannot use family "${String(options.family)}": expected 0, 4 or 6`);
  }
  if (options.lookup !== undefined && typeof options.lookup !== 'function') {
    throw new TypeError('Cannot use lookup: expected a function with the signature of dns.lookup');
  }
}

/**
 * Opens the TCP (and for wss:// the TLS) connection.
 * @param target - where to connect
 * @param options - TLS, source address, family, resolver
 * @returns the connecting socket; it emits `connect` (ws://) or `secureConnect` (wss://)
 */
export function dial(target: Target, options: DialOptions): net.Socket {
  const socketOptions: net.TcpNetConnectOpts = { host: target.hostname, port: target.port };
  if (options.localAddress !== undefined) socketOptions.localAddress = options.localAddress;
  if (options.family !== undefined) socketOptions.family = options.family;
  if (options.lookup !== undefined) socketOptions.lookup = options.lookup;
  if (!target.secure) return net.connect(socketOptions);
  return tls.connect({
    ...socketOptions,
    // SNI must not carry an IP literal (RFC 6066 §3).
    ...(net.isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
    ALPNProtocols: ['http/1.1'],
    ...options.tls,
  });
}

/**
 * Gives a socket error that happened before the handshake a message saying which step failed:
 * binding the source address, resolving the name, or connecting. The original error is the `cause`,
 * and its `code` (e.g. `EADDRNOTAVAIL`, `ENOTFOUND`, `ECONNREFUSED`) is kept.
 */
export function dialError(err: Error, target: Target, options: DialOptions): Error {
  const errno = err as NodeJS.ErrnoException;
  let message: string;
  if (errno.syscall === 'bind')
    message = `Cannot open the WebSocket: cannot connect from local address ${options.localAddress ?? '?'} (${errno.code ?? 'bind failed'})`;
  else if (errno.syscall === 'getaddrinfo' || errno.code === 'ENOTFOUND')
    message = `Cannot open the WebSocket: cannot resolve ${target.hostname} (${errno.code ?? 'lookup failed'})`;
  else if (errno.syscall === 'connect')
    message = `Cannot open the WebSocket: cannot connect to ${target.hostHeader} (${errno.code ?? 'connect failed'})`;
  else return err;
  const wrapped = new Error(message, { cause: err }) as NodeJS.ErrnoException;
  if (errno.code !== undefined) wrapped.code = errno.code;
  return wrapped;
}
