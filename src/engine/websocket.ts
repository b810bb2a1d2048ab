// Node binding: the WHATWG-shaped WebSocket for both roles, over one SocketBinding and its core Connection.
import { InvalidStateError, Opcode } from '../protocol/index.ts';
import { plainView } from './byte-views.ts';
import type { BroadcastCompression } from './deflate-channel.ts';
import { echoBytesOf } from './text-dispatch.ts';
import { kBinding, kClosed, kPings, WebSocketConnection } from './websocket-connection.ts';
import { kSendPrebuilt, ReadyStates, type WebSocketInit, type WebSocketRequest } from './websocket-internal.ts';

export { kAdapter, kAttach, kFailConnecting, kSendPrebuilt, kSetAbort, kStart } from './websocket-internal.ts';
export type {
  AdapterAccess,
  BinaryType,
  HeartbeatOptions,
  RawMessageSink,
  ReadyState,
  WebSocketInit,
  WebSocketRequest,
} from './websocket-internal.ts';

function domException(message: string, name: string): Error {
  return new DOMException(message, name);
}

/**
 * A WebSocket connection with the WHATWG shape, for both roles: sockets accepted by a
 * `WebSocketServer` and clients opened with `connect()` / `createWebSocket()`.
 *
 * Messages arrive through `onmessage`, `addEventListener('message')` or async iteration. When
 * only `onmessage` is set it is called directly with a light event object (the fast path).
 * `send()` queues the frame; everything queued during one read or one tick leaves in one write.
 *
 * @example
 * ```ts
 * const ws = await connect('ws://127.0.0.1:8080/');
 * ws.onmessage = (event) => console.log(event.data);
 * ws.send('hello');
 * ```
 */
export class WebSocket extends WebSocketConnection {
  /** The connection is not yet open. */
  static readonly CONNECTING = 0;
  /** The connection is open and ready to communicate. */
  static readonly OPEN = 1;
  /** The connection is going through the closing handshake. */
  static readonly CLOSING = 2;
  /** The connection is closed. */
  static readonly CLOSED = 3;
  // The instance constants live on the prototype (WHATWG puts them there too): four own fields
  // would cost 32 bytes on every connection. Defined after the class.
  /** Same as the static constant (WHATWG). */
  declare readonly CONNECTING: 0;
  /** Same as the static constant (WHATWG). */
  declare readonly OPEN: 1;
  /** Same as the static constant (WHATWG). */
  declare readonly CLOSING: 2;
  /** Same as the static constant (WHATWG). */
  declare readonly CLOSED: 3;

  /** Whatever the server's `accept` hook returned as `context` (undefined for clients). */
  context: unknown;
  /** Client: the URL connected to. Server: the request target (path and query). */
  readonly url: string;
  /**
   * Server sockets of a server with `keepRequestHeaders: true`: the upgrade request's headers and target. Null
   * otherwise (clients, and by default: read headers from the `connection` event's `req` or the `accept` hook).
   */
  readonly request: WebSocketRequest | null;
  /** Called once when TCP closed, before the `close` event (server bookkeeping). */
  #onClosed: ((ws: WebSocket) => void) | null;

  /**
   * @internal Created by the engine: use `connect()`, `createWebSocket()` or a `WebSocketServer`.
   * @param init - role, addresses and per-connection options
   */
  constructor(init: WebSocketInit<WebSocket>) {
    super(init);
    this.url = init.url;
    this.request = init.request;
    this.context = init.context;
    this.#onClosed = init.onClosed;
  }

  /** @internal Runs the engine's callback once (server bookkeeping). */
  protected override [kClosed](): void {
    const onClosed = this.#onClosed;
    this.#onClosed = null;
    onClosed?.(this);
  }

  /** Bytes queued but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this[kBinding]?.bufferedAmount ?? 0;
  }

  /** The latest round-trip time measured by a ping (heartbeat or `ping()`), in ms; null before the first. */
  get latencyMs(): number | null {
    return this[kPings]?.lastRttMs ?? null;
  }

  /**
   * Sends a message: a string as text, anything binary as a binary message. Data is not copied
   * on the server side; do not modify a buffer after sending it.
   * @param data - the message
   * @returns false when the message was not queued: the connection is closing, or the `drop`
   *   or `close` slow-consumer policy refused it
   * @throws DOMException `InvalidStateError` while CONNECTING (WHATWG)
   */
  send(data: string | ArrayBufferLike | ArrayBufferView): boolean {
    const state = this.readyState;
    if (state !== ReadyStates.OPEN) {
      if (state === ReadyStates.CONNECTING)
        throw domException('Cannot send: the connection is not open yet', 'InvalidStateError');
      return false; // WHATWG: sends after closing started are discarded
    }
    const binding = this[kBinding]!;
    if (typeof data === 'string') {
      // An echo of the message being dispatched reuses its received bytes (server role: no masking).
      const echo = this.isServer ? echoBytesOf(data) : null;
      return echo !== null ? binding.sendMessage(Opcode.TEXT, echo) : binding.sendString(data);
    }
    if (ArrayBuffer.isView(data)) {
      return binding.sendMessage(
        Opcode.BINARY,
        data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    }
    if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer)) {
      return binding.sendMessage(Opcode.BINARY, new Uint8Array(data));
    }
    throw new TypeError('Cannot send: data must be a string, an ArrayBuffer or an ArrayBufferView');
  }

  /**
   * Sends a ping and resolves with the round-trip time in ms when the pong arrives.
   * @param data - payload of at most 125 bytes; a counter when omitted
   * @returns the RTT; rejects with InvalidStateError when the connection closes first
   *   (the promise is marked handled: ignoring it is safe)
   * @throws RangeError when `data` is longer than 125 bytes
   */
  ping(data?: Uint8Array): Promise<number> {
    if (this.readyState !== ReadyStates.OPEN || this[kPings] === null) {
      const p = Promise.reject(new InvalidStateError('Cannot ping: the connection is not open'));
      p.catch(() => {});
      return p;
    }
    return this[kPings]!.ping(data === undefined ? undefined : plainView(data));
  }

  /**
   * @internal Broadcast: queues a frame serialized once for many server connections.
   * @returns whether the frame was queued
   */
  [kSendPrebuilt](
    frame: Uint8Array[],
    size: number,
    data: string | ArrayBufferLike | ArrayBufferView,
    compression?: BroadcastCompression,
  ): boolean {
    if (this.readyState !== ReadyStates.OPEN) return false;
    if (!this.isServer) return this.send(data);
    return this[kBinding]!.sendPrebuilt(frame, size, compression);
  }
}

// WHATWG: the ready-state constants are on the interface object and on the prototype.
for (const [name, value] of Object.entries(ReadyStates)) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true, writable: false, configurable: false });
}
