// Client SDK (Node-free): what the HTTP transports (event stream and long-polling, docs/protocol.md § 15) share: the
// `fetch` they run on, the endpoints' URLs, credentials, the mapping of refusals to close codes, and the
// WebSocket-shaped socket state (handlers, readyState, one close event).
import { DisconnectCode, RfcCloseCode, Subprotocol } from '../messages/core.ts';
import type { Clock } from './timers.ts';
import type { TransportCloseEvent, TransportHandler, TransportMessageEvent, TransportSocket } from './transport.ts';

/** The part of a `fetch` response body the transports read (a WHATWG `ReadableStream` of bytes). */
export interface FetchBody {
  getReader(): {
    read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
    cancel(reason?: unknown): Promise<void>;
  };
}

/** The part of a `fetch` `Response` the transports read. */
export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly body: FetchBody | null;
  text(): Promise<string>;
}

/** The request options the transports pass to `fetch`. */
export interface FetchInit {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal: AbortSignal;
  readonly credentials: 'include' | 'same-origin';
  readonly cache: 'no-store';
  /** Lets the request outlive the page (a `DELETE` sent while the tab closes); bodies up to 64 KiB only. */
  readonly keepalive?: boolean;
}

/** A WHATWG `fetch` (the browser's, Node's, or a wrapper around one). */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** How an HTTP transport reaches the server. */
export interface HttpTransportConfig {
  readonly fetch: FetchFunction;
  /** `http(s)://host[/prefix]`, without a trailing slash: the endpoints are `<base>/http/stream`, `/http/poll`, `/http/send`. */
  readonly baseUrl: string;
  /** Query parameters of the configured URL (a `token` one, for instance), sent with every request. */
  readonly query: string;
  /** The token the session authenticated with, sent as `Authorization: Bearer` on every request (docs/protocol.md § 15.1). */
  token(): string | undefined;
  /** Cookies on cross-origin requests (`credentials: 'include'`). */
  readonly withCredentials: boolean;
  readonly clock: Clock;
}

/** Named HTTP statuses the transports read. */
export const HttpStatus = {
  OK: 200,
  NO_CONTENT: 204,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
} as const;

/**
 * The HTTP base URL of a WebSocket URL: `ws` becomes `http`, `wss` becomes `https`, and a last path segment `ws` is
 * dropped (`wss://chat.example.com/rt/ws` -> `https://chat.example.com/rt`).
 * @param url The client's `url` (or an `http(s)` URL, used as it is).
 * @returns The base URL and the query string to carry over.
 * @throws {TypeError} When the URL cannot be parsed or is not ws, wss, http or https.
 */
export function httpBaseUrl(url: string): { readonly baseUrl: string; readonly query: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new TypeError(`Cannot use the HTTP transports: "${url}" is not a URL`, { cause: err });
  }
  const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[parsed.protocol];
  if (scheme === undefined)
    throw new TypeError(`Cannot use the HTTP transports: "${url}" is not a ws, wss, http or https URL`);
  const path = parsed.pathname.replace(/\/ws\/?$/, '').replace(/\/+$/, '');
  return { baseUrl: `${scheme}//${parsed.host}${path}`, query: parsed.search.replace(/^\?/, '') };
}

/**
 * The URL of an endpoint.
 * @param config Base URL and carried-over query.
 * @param path `/http/stream`, `/http/poll` or `/http/send`.
 * @param params Parameters of this request (`session`, `ack`).
 */
export function endpoint(config: HttpTransportConfig, path: string, params: Record<string, string> = {}): string {
  const search = new URLSearchParams(config.query);
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  const query = search.toString();
  return `${config.baseUrl}${path}${query === '' ? '' : `?${query}`}`;
}

/**
 * The request options of one request.
 * @param config Credentials.
 * @param method GET, POST (a POST carries JSON) or DELETE.
 * @param signal Aborts the request.
 * @param body The JSON body of a POST.
 */
export function requestInit(
  config: HttpTransportConfig,
  method: 'GET' | 'POST' | 'DELETE',
  signal: AbortSignal,
  body?: string,
): FetchInit {
  const token = config.token();
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return {
    method,
    headers,
    signal,
    credentials: config.withCredentials ? 'include' : 'same-origin',
    cache: 'no-store',
    // A session's end is often sent as the page goes away: keepalive lets the browser finish it after unload.
    ...(method === 'DELETE' ? { keepalive: true } : {}),
    ...(body === undefined ? {} : { body }),
  };
}

/**
 * The close code of a refused request: a busy server (429, 503) asks for a longer wait, anything else is a
 * transport failure (1006), as a refused WebSocket handshake is.
 * @param status The HTTP status.
 */
export function refusalCode(status: number): number {
  if (status === HttpStatus.TOO_MANY_REQUESTS) return DisconnectCode.RATE_LIMITED;
  if (status === HttpStatus.SERVICE_UNAVAILABLE) return RfcCloseCode.TRY_AGAIN_LATER;
  return RfcCloseCode.ABNORMAL_CLOSURE;
}

/** WHATWG `readyState` values. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/**
 * The WebSocket-shaped face of an HTTP session: handlers, `readyState`, the session id, and exactly one close event.
 * Subclasses open the session, deliver server messages with {@link deliver} and end with {@link finish}.
 */
export abstract class HttpSocket implements TransportSocket {
  /** The HTTP transports speak JSON only (docs/protocol.md § 15). */
  readonly protocol: string = Subprotocol.JSON;
  binaryType = 'arraybuffer';
  onopen: TransportHandler<unknown> | null = null;
  onmessage: TransportHandler<TransportMessageEvent> | null = null;
  onclose: TransportHandler<TransportCloseEvent> | null = null;
  onerror: TransportHandler<unknown> | null = null;
  #readyState: number = ReadyState.CONNECTING;
  #session = '';
  /** Aborts every request of this socket when it ends. */
  protected readonly aborter = new AbortController();

  get readyState(): number {
    return this.#readyState;
  }

  /** The session id the server gave (`<node>.<secret>`), `''` before it is open. */
  get session(): string {
    return this.#session;
  }

  abstract send(data: string | Uint8Array): void;

  /**
   * Ends the session from this side. The close event follows asynchronously, as a WebSocket's does.
   * @param code Reported in the close event. @default 1005 (no status)
   * @param reason Reported in the close event.
   */
  close(code?: number, reason?: string): void {
    if (this.#readyState >= ReadyState.CLOSING) return;
    this.#readyState = ReadyState.CLOSING;
    this.aborter.abort();
    void Promise.resolve().then(() => this.finish(code ?? RfcCloseCode.NO_STATUS_RECEIVED, reason ?? ''));
  }

  /** The server named the session: the socket is open. */
  protected opened(session: string): void {
    if (this.#readyState !== ReadyState.CONNECTING) return;
    this.#session = session;
    this.#readyState = ReadyState.OPEN;
    this.onopen?.({ type: 'open' });
  }

  /** One server message (its JSON text). */
  protected deliver(data: string): void {
    if (this.#readyState === ReadyState.OPEN) this.onmessage?.({ data });
  }

  /** The session is over: aborts what is in flight and fires the one close event. */
  protected finish(code: number, reason: string): void {
    if (this.#readyState === ReadyState.CLOSED) return;
    const clean = this.#readyState === ReadyState.CLOSING || code !== RfcCloseCode.ABNORMAL_CLOSURE;
    this.#readyState = ReadyState.CLOSED;
    this.aborter.abort();
    if (!clean) this.onerror?.({ type: 'error' });
    this.onclose?.({ code, reason });
  }
}
