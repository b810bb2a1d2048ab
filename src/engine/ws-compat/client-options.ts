// Node binding: maps the options of ws's client constructor to the engine's `ClientOptions`.
import type net from 'node:net';
import type tls from 'node:tls';
import type { ClientOptions } from '../client.ts';
import { toEngineClientDeflate, type WsPerMessageDeflateOptions } from './deflate-options.ts';

/** Options of the client constructor `new WebSocket(url, protocols, options)` (ws's names). */
export interface WsClientOptions {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** `Origin` request header. */
  origin?: string;
  /** Only 13 (RFC 6455); ws's hybi-08 is not spoken. @default 13 */
  protocolVersion?: number;
  /**
   * Deadline for TCP, TLS and the HTTP answer, in milliseconds (ws: unlimited).
   * @default 10000: the engine's handshake deadline, far above any honest server
   */
  handshakeTimeout?: number;
  /**
   * Largest message accepted, in bytes; bigger ones fail with 1009.
   * @default 104857600 (100 MiB), ws's default, so ws users see no change
   */
  maxPayload?: number;
  /**
   * permessage-deflate offer: `true` with the defaults, an object (ws's field names) shapes it, `false` offers nothing.
   * @default true (ws offers it on every connection, as browsers do)
   */
  perMessageDeflate?: boolean | WsPerMessageDeflateOptions;
  /** Not supported: redirects are not followed (the 3xx is an `unexpected-response`). */
  followRedirects?: boolean;
  /** wss:// TLS options, as ws passes them to https.request. */
  ca?: tls.ConnectionOptions['ca'];
  cert?: tls.ConnectionOptions['cert'];
  key?: tls.ConnectionOptions['key'];
  pfx?: tls.ConnectionOptions['pfx'];
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
  checkServerIdentity?: tls.ConnectionOptions['checkServerIdentity'];
  /** Local IP address to connect from (ws passes it to http.request). */
  localAddress?: string;
  /** IP family of the resolved address: 4, 6 or 0 for either. */
  family?: number;
  /** Host name resolver with the signature of `dns.lookup`. */
  lookup?: net.LookupFunction;
}

/** ws's default `maxPayload`. */
export const WS_DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
const TLS_KEYS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'checkServerIdentity',
] as const;

/**
 * Translates `new WebSocket(url, protocols, options)`'s arguments (ws accepts the options in place
 * of the protocols) into engine client options.
 * @param protocols - a subprotocol, a list, or the options object
 * @param options - ws client options
 * @returns the engine's options
 * @throws RangeError for a protocolVersion other than 13; SyntaxError for a repeated subprotocol
 */
export function toEngineClientOptions(
  protocols: string | string[] | WsClientOptions | undefined,
  options: WsClientOptions | undefined,
): ClientOptions {
  let list: string[];
  let opts: WsClientOptions = options ?? {};
  if (protocols === undefined) list = [];
  else if (Array.isArray(protocols)) list = protocols;
  else if (typeof protocols === 'object' && protocols !== null) {
    opts = protocols;
    list = [];
  } else list = [protocols];
  if (opts.protocolVersion !== undefined && opts.protocolVersion !== 13) {
    throw new RangeError(`Unsupported protocol version: ${String(opts.protocolVersion)} (supported versions: 13)`);
  }
  if (new Set(list).size !== list.length) throw new SyntaxError('An invalid or duplicated subprotocol was specified');
  const engineOptions: ClientOptions = {
    protocols: list,
    maxMessageSize: opts.maxPayload ?? WS_DEFAULT_MAX_PAYLOAD,
    // ws runs no heartbeat of its own; the README's ping/terminate loop is the application's.
    pingIntervalMs: 0,
    perMessageDeflate: toEngineClientDeflate(opts.perMessageDeflate),
  };
  if (opts.headers !== undefined) engineOptions.headers = opts.headers;
  if (opts.origin !== undefined) engineOptions.origin = opts.origin;
  if (opts.handshakeTimeout !== undefined) engineOptions.handshakeTimeoutMs = opts.handshakeTimeout;
  if (opts.localAddress !== undefined) engineOptions.localAddress = opts.localAddress;
  if (opts.family !== undefined) engineOptions.family = opts.family;
  if (opts.lookup !== undefined) engineOptions.lookup = opts.lookup;
  const tlsOptions: Record<string, unknown> = {};
  let hasTls = false;
  for (const key of TLS_KEYS) {
    if (opts[key] !== undefined) {
      tlsOptions[key] = opts[key];
      hasTls = true;
    }
  }
  if (hasTls) engineOptions.tls = tlsOptions as tls.ConnectionOptions;
  return engineOptions;
}
