// Client SDK (Node-free): the transport contract. Anything shaped like the WHATWG WebSocket plugs in.

/** The message event the client reads: `data` is a string (text frame) or binary (ArrayBuffer or a Uint8Array view). */
export interface TransportMessageEvent {
  readonly data: unknown;
}

/** The close event the client reads. */
export interface TransportCloseEvent {
  readonly code: number;
  readonly reason: string;
}

/**
 * An event handler property. Declared through a method so its parameter is checked bivariantly: the DOM's
 * `(this: WebSocket, ev: MessageEvent) => any` and undici's handlers then fit, while the client still reads `event.data`.
 */
export type TransportHandler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/**
 * The subset of the WHATWG `WebSocket` the client uses. The browser's `WebSocket`, undici's and the
 * Switchboard engine's `WebSocket` all fit, so the SDK never imports a Node module.
 */
export interface TransportSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed (WHATWG). */
  readonly readyState: number;
  /** The subprotocol the server chose; `''` when none. */
  readonly protocol: string;
  /** Set to `'arraybuffer'` by the client, so binary frames arrive as bytes in every runtime. */
  binaryType: string;
  onopen: TransportHandler<unknown> | null;
  onmessage: TransportHandler<TransportMessageEvent> | null;
  onclose: TransportHandler<TransportCloseEvent> | null;
  onerror: TransportHandler<unknown> | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/**
 * Opens a transport socket. In a browser: `(url, protocols) => new WebSocket(url, protocols)`.
 *
 * @param url The `ws://` or `wss://` URL, with the `token` query parameter already added when configured.
 * @param protocols The subprotocols to offer, in order of preference.
 */
export type TransportFactory = (url: string, protocols: string[]) => TransportSocket;

/** The transports a client can use: WebSocket, the event stream (SSE) and long-polling (docs/protocol.md § 15). */
export type TransportKind = 'websocket' | 'sse' | 'polling';

/** Every transport, in the default order of preference. */
export const TRANSPORT_KINDS: readonly TransportKind[] = ['websocket', 'sse', 'polling'];

/**
 * Detaches the client's handlers from a socket and closes it (without arguments if the runtime refuses the code).
 * @param socket The socket.
 * @param code The close code.
 * @param reason The close reason.
 */
export function releaseSocket(socket: TransportSocket, code: number, reason: string): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  try {
    socket.close(code, reason);
  } catch {
    try {
      socket.close();
    } catch {
      /* nothing left to close */
    }
  }
}
