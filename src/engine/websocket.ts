// Node binding: the WHATWG-shaped WebSocket for both roles, over one SocketBinding and its core Connection.
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Connection, ConnectionEvent } from '../protocol/index.ts';
import { InvalidStateError, Opcode, serializeClosePayload } from '../protocol/index.ts';
import type { PerMessageDeflate } from './deflate.ts';
import { BroadcastCompression, type DeflateChannel } from './deflate-channel.ts';
import { channels } from './diagnostics.ts';
import {
  ListenerList,
  reportListenerError,
  WebSocketCloseEvent,
  WebSocketErrorEvent,
  WebSocketEvent,
  WebSocketMessageEvent,
  type WebSocketListener,
} from './events.ts';
import { PingTracker, type PingHost } from './heartbeat.ts';
import { MessageQueue } from './message-queue.ts';
import { PauseReason, SocketBinding, type BindingHandlers, type BindingOptions } from './socket-binding.ts';

/** How binary messages are handed out: Buffer (default, no copy), ArrayBuffer (copied) or Blob. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';

/** WHATWG ready states: CONNECTING, OPEN, CLOSING, CLOSED. */
export type ReadyState = 0 | 1 | 2 | 3;

/** What a server-side socket keeps of its upgrade request (not the IncomingMessage itself). */
export interface WebSocketRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
}

/** Heartbeat settings of one connection. */
export interface HeartbeatOptions {
  /** 0 disables the heartbeat. */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
}

/** @internal How the engine creates a WebSocket; applications use `connect()` or a server. */
export interface WebSocketInit {
  readonly role: 'server' | 'client';
  readonly url: string;
  /** The peer's address, or null to read it from the socket when first asked. */
  readonly remoteAddress: string | null;
  readonly request: WebSocketRequest | null;
  readonly context: unknown;
  readonly binding: BindingOptions;
  readonly heartbeat: HeartbeatOptions;
  /** Called once when TCP closed, before the `close` event (server bookkeeping). */
  readonly onClosed: ((ws: WebSocket) => void) | null;
}

/** @internal Symbols of the engine-private methods. */
export const kAttach = Symbol('switchboard.attach');
/** @internal */
export const kStart = Symbol('switchboard.start');
/** @internal */
export const kFailConnecting = Symbol('switchboard.failConnecting');
/** @internal */
export const kSetAbort = Symbol('switchboard.setAbort');
/** @internal */
export const kSendPrebuilt = Symbol('switchboard.sendPrebuilt');
/** @internal The ws adapter's access to the core and the binding (see {@link AdapterAccess}). */
export const kAdapter = Symbol('switchboard.adapter');

/**
 * @internal What the ws adapter (ws-compat.ts) needs beyond the WHATWG surface: raw frames
 * (fragments, unsolicited pongs, bytes sent as text), flush callbacks, read pausing, and
 * messages as raw bytes (ws hands text out as a Buffer: decoding it to a string first is waste).
 */
export interface AdapterAccess {
  /** The core: `sendFrame`, `sendText(bytes)`, `ping`, `pong`. Call `binding.queued()` after each. */
  readonly connection: Connection;
  /** The binding: `admit`, `queued`, `whenFlushed`, `pause`/`resume` with `PauseReason.USER`. */
  readonly binding: SocketBinding;
  /**
   * permessage-deflate, when negotiated: whole messages must go through `deflate.send()` (it
   * compresses at the threshold and keeps the order behind compressions in flight), and raw frames
   * only when `!deflate.isBusy` (or inside `deflate.afterSends()`).
   */
  readonly deflate: DeflateChannel | null;
}

/** @internal Receives every message as raw bytes instead of the WHATWG dispatch (ws adapter). */
export type RawMessageSink = (data: Uint8Array, binary: boolean) => void;


interface BufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Decodes an already validated UTF-8 payload. Short ASCII takes the latin1 slice, which skips
 * the UTF-8 decoder's setup (most chat and JSON messages are short ASCII).
 */
function decodeText(data: Uint8Array): string {
  const buf = asBuffer(data) as unknown as BufferSlices;
  const n = data.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && data[i]! < 0x80) i++;
    if (i === n) return buf.latin1Slice(0, n);
  }
  return buf.utf8Slice(0, n);
}

/**
 * A plain Uint8Array view of the same bytes. The core copies borrowed payloads with `.slice()`
 * before masking them in place, and `Buffer#slice` is a view, not a copy: handing the client
 * core a Buffer would mask the caller's bytes. A plain view makes `.slice()` copy.
 */
function plainView(data: Uint8Array): Uint8Array {
  return Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
}

/**
 * The text message being handed to `onmessage` and its validated UTF-8 bytes. A `send()` of that very string during
 * the call (an echo, a relay) queues these bytes instead of encoding the string again: valid UTF-8 decodes and
 * re-encodes to the same bytes, and nothing writes to a received payload after unmasking (the decoder and assembler
 * hand out views they never reuse). Set only around the synchronous handler call, so it keeps no message alive.
 */
let dispatchedText: string | null = null;
let dispatchedTextBytes: Uint8Array | null = null;

function domException(message: string, name: string): Error {
  return new DOMException(message, name);
}

type Handler<E> = ((this: WebSocket, event: E) => void) | null;

/** Set by the static block of {@link WebSocket}: builds the per-connection hooks object. */
let createHooks: (ws: WebSocket) => BindingHandlers & PingHost;

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
export class WebSocket {
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

  /** Called when a client connection opened (server sockets are open from the start). */
  onopen: Handler<WebSocketEvent> = null;
  /** Called for each message; the fast path when no other listener exists. */
  onmessage: Handler<WebSocketMessageEvent> = null;
  /** Called when the connection failed (protocol error, socket error, failed handshake). */
  onerror: Handler<WebSocketErrorEvent> = null;
  /** Called once when the TCP connection closed. */
  onclose: Handler<WebSocketCloseEvent> = null;

  /** Whatever the server's `accept` hook returned as `context` (undefined for clients). */
  context: unknown;
  /** Client: the URL connected to. Server: the request target (path and query). */
  readonly url: string;
  /** Server sockets: the upgrade request's headers and target. Null for clients. */
  readonly request: WebSocketRequest | null;

  readonly #role: 'server' | 'client';
  readonly #bindingOptions: BindingOptions;
  readonly #heartbeatOptions: HeartbeatOptions;
  #onClosed: ((ws: WebSocket) => void) | null;
  #state: ReadyState = 0;
  #binding: SocketBinding | null = null;
  #connection: Connection | null = null;
  #pings: PingTracker | null = null;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'nodebuffer';
  #listeners: ListenerList | null = null;
  #queue: MessageQueue | null = null;
  #closeInfo: { code: number; reason: string; wasClean: boolean } | null = null;
  #errored = false;
  #abort: (() => void) | null = null;
  #openedAt = 0;
  /** Null until asked: reading it costs a getpeername and a cached object on the socket. */
  #remoteAddress: string | null;
  /** The socket, for the lazy `remoteAddress`; null once closed. */
  #socket: Duplex | null = null;
  #rawSink: RawMessageSink | null = null;

  /**
   * @internal Created by the engine: use `connect()`, `createWebSocket()` or a `WebSocketServer`.
   * @param init - role, addresses and per-connection options
   */
  constructor(init: WebSocketInit) {
    this.#role = init.role;
    this.url = init.url;
    this.#remoteAddress = init.remoteAddress;
    this.request = init.request;
    this.context = init.context;
    this.#bindingOptions = init.binding;
    this.#heartbeatOptions = init.heartbeat;
    this.#onClosed = init.onClosed;
  }

  /**
   * The peer's IP address ('' when unknown). Server sockets read it from the socket when first
   * asked (or when the connection starts closing), not during the handshake: read it while the
   * connection is open if you need it after an abrupt disconnect (the kernel forgets it then).
   */
  get remoteAddress(): string {
    if (this.#remoteAddress === null) this.#rememberAddress();
    return this.#remoteAddress ?? '';
  }

  /** Reads the peer's address from the socket while it still knows it. */
  #rememberAddress(): void {
    if (this.#remoteAddress !== null) return;
    const address = (this.#socket as { remoteAddress?: string } | null)?.remoteAddress;
    if (address !== undefined) this.#remoteAddress = address;
    else if (this.#state === 3) this.#remoteAddress = '';
  }

  /** WHATWG ready state: CONNECTING until the handshake, CLOSING from the first Close, CLOSED when TCP closed. */
  get readyState(): ReadyState {
    return this.#state;
  }

  /** The subprotocol the server selected ('' when none). */
  get protocol(): string {
    return this.#protocol;
  }

  /** The negotiated `Sec-WebSocket-Extensions` value ('' when none). */
  get extensions(): string {
    return this.#extensions;
  }

  /** Bytes queued but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#binding?.bufferedAmount ?? 0;
  }

  /** The latest round-trip time measured by a ping (heartbeat or `ping()`), in ms; null before the first. */
  get latencyMs(): number | null {
    return this.#pings?.lastRttMs ?? null;
  }

  /** Whether this end is the server side of the connection. */
  get isServer(): boolean {
    return this.#role === 'server';
  }

  /** How binary messages are handed out. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value === 'nodebuffer' || value === 'arraybuffer' || value === 'blob') this.#binaryType = value;
  }

  /**
   * Adds a listener (WHATWG). `ping` and `pong` events (Buffer `data`) are dispatched too, only
   * to listeners added here.
   * @param type - 'open' | 'message' | 'error' | 'close' | 'ping' | 'pong'
   * @param listener - function or `{ handleEvent }`
   * @param options - `{ once: true }` removes the listener after its first call
   */
  addEventListener(type: 'message', listener: WebSocketListener<WebSocketMessageEvent>, options?: { once?: boolean } | boolean): void;
  addEventListener(type: 'close', listener: WebSocketListener<WebSocketCloseEvent>, options?: { once?: boolean } | boolean): void;
  addEventListener(type: 'error', listener: WebSocketListener<WebSocketErrorEvent>, options?: { once?: boolean } | boolean): void;
  addEventListener(type: string, listener: WebSocketListener<WebSocketEvent>, options?: { once?: boolean } | boolean): void;
  addEventListener(type: string, listener: WebSocketListener<never>, options?: { once?: boolean } | boolean): void {
    if (listener === null || listener === undefined) return;
    this.#listeners ??= new ListenerList();
    this.#listeners.add(type, listener, typeof options === 'object' && options.once === true);
  }

  /**
   * Removes a listener added with {@link addEventListener}.
   * @param type - event type
   * @param listener - the same function or object
   */
  removeEventListener(type: string, listener: WebSocketListener<never>): void {
    this.#listeners?.remove(type, listener);
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
    if (this.#state !== 1) {
      if (this.#state === 0) throw domException('Cannot send: the connection is not open yet', 'InvalidStateError');
      return false; // WHATWG: sends after closing started are discarded
    }
    const connection = this.#connection!;
    if (!connection.canSend) return false;
    let bytes: Uint8Array;
    let text = false;
    if (typeof data === 'string' && dispatchedText !== null && data === dispatchedText && this.#role === 'server') {
      bytes = dispatchedTextBytes!;
      text = true;
    } else if (typeof data === 'string') {
      if (this.#role === 'client' && this.#binding!.deflate === null) {
        // The client core encodes strings itself and masks that fresh copy in place.
        const binding = this.#binding!;
        if (!binding.admit(data.length)) return false;
        connection.sendText(data);
        binding.queued(data.length + 6);
        return true;
      }
      bytes = Buffer.from(data, 'utf8');
      text = true;
    } else if (ArrayBuffer.isView(data)) {
      bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer)) {
      bytes = new Uint8Array(data);
    } else {
      throw new TypeError('Cannot send: data must be a string, an ArrayBuffer or an ArrayBufferView');
    }
    const binding = this.#binding!;
    if (!binding.admit(bytes.length)) return false;
    const deflate = binding.deflate;
    if (deflate !== null) {
      // permessage-deflate: compressed at or above the threshold, and in order with earlier sends.
      deflate.send(text ? Opcode.TEXT : Opcode.BINARY, bytes);
      return true;
    }
    if (this.#role === 'client') bytes = plainView(bytes);
    if (text) connection.sendText(bytes);
    else connection.sendBinary(bytes);
    binding.queued(bytes.length + 2);
    return true;
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). Any code valid on the wire is accepted
   * (1000-1003, 1007-1014, 3000-4999), not only WHATWG's 1000 and 3000-4999, because servers
   * need 1001, 1008 and 1011. While CONNECTING the attempt is aborted.
   * @param code - close code; none sends an empty Close (received as 1005)
   * @param reason - at most 123 UTF-8 bytes
   * @throws RangeError or TypeError for an invalid code or reason
   */
  close(code?: number, reason?: string): void {
    if (this.#state === 0) {
      this.#abort?.();
      return;
    }
    if (this.#state !== 1) return;
    this.#rememberAddress();
    const connection = this.#connection!;
    const deflate = this.#binding!.deflate;
    if (deflate !== null && deflate.isBusy) {
      // The Close follows the messages still being compressed (validated now, sent after them).
      serializeClosePayload(code, reason);
      deflate.afterSends(() => {
        if (connection.canSend) connection.close(code, reason);
      });
    } else if (connection.canSend) {
      connection.close(code, reason);
    }
    this.#state = 2;
    this.#binding!.queued(0);
  }

  /** Destroys the connection at once, without a closing handshake (close code 1006 locally). */
  terminate(): void {
    if (this.#state === 0) {
      this.#abort?.();
      return;
    }
    this.#rememberAddress();
    this.#binding?.destroy();
  }

  /**
   * Sends a ping and resolves with the round-trip time in ms when the pong arrives.
   * @param data - payload of at most 125 bytes; a counter when omitted
   * @returns the RTT; rejects with InvalidStateError when the connection closes first
   *   (the promise is marked handled: ignoring it is safe)
   * @throws RangeError when `data` is longer than 125 bytes
   */
  ping(data?: Uint8Array): Promise<number> {
    if (this.#state !== 1 || this.#pings === null || !this.#connection!.canSend) {
      const p = Promise.reject(new InvalidStateError('Cannot ping: the connection is not open'));
      p.catch(() => {});
      return p;
    }
    return this.#pings.ping(data === undefined ? undefined : plainView(data));
  }

  /**
   * Iterates over received messages (text as string, binary as Buffer, whatever `binaryType`
   * says) until the connection closes. Start iterating right after the socket is handed to you:
   * messages that arrive while nobody listens are not kept. While more than 128 messages or 1 MiB
   * wait in the iterator's queue, the socket stops reading (TCP backpressure reaches the peer).
   * Breaking out of the loop does not close the connection.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<string | Buffer> {
    if (this.#queue !== null && !this.#queue.done) return this.#queue;
    const queue = new MessageQueue(
      (on) => {
        if (on) this.#binding?.pause(PauseReason.ITERATOR);
        else this.#binding?.resume(PauseReason.ITERATOR);
      },
      () => {
        if (this.#queue === queue) this.#queue = null;
      },
    );
    this.#queue = queue;
    if (this.#state === 3) queue.end();
    return queue;
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
    if (this.#state !== 1) return false;
    if (this.#role !== 'server') return this.send(data);
    const connection = this.#connection!;
    if (!connection.canSend) return false;
    const binding = this.#binding!;
    if (!binding.admit(size)) return false;
    const deflate = binding.deflate;
    if (deflate !== null) {
      deflate.sendBroadcast(frame, size, compression ?? new BroadcastCompression(frame[0]![0]! & 0x0f, frame[1]!));
      return true;
    }
    connection.sendPrebuilt(frame);
    binding.queued(size);
    return true;
  }

  /**
   * @internal The ws adapter's access; null until the handshake completed.
   * @param sink - when given, every message (also while CLOSING, as ws does) goes to it instead of
   *   `onmessage`, listeners and iterators
   */
  [kAdapter](sink?: RawMessageSink): AdapterAccess | null {
    if (sink !== undefined) this.#rawSink = sink;
    if (this.#binding === null || this.#connection === null) return null;
    return { connection: this.#connection, binding: this.#binding, deflate: this.#binding.deflate };
  }

  /** @internal Connecting: how to abort the attempt. */
  [kSetAbort](abort: (() => void) | null): void {
    this.#abort = abort;
  }

  /**
   * @internal The handshake succeeded: bind the socket. Server sockets are OPEN from here; the
   * binding starts reading when {@link kStart} is called.
   */
  [kAttach](
    socket: Duplex,
    connection: Connection,
    init: { protocol: string; extensions: string; remoteAddress?: string; deflate?: PerMessageDeflate | null },
  ): void {
    this.#connection = connection;
    this.#socket = socket;
    if (init.remoteAddress !== undefined) this.#remoteAddress = init.remoteAddress;
    this.#protocol = init.protocol;
    this.#extensions = init.extensions;
    this.#abort = null;
    // One hooks object serves the binding and the heartbeat (prototype methods, no closures).
    const hooks = createHooks(this);
    const binding = new SocketBinding(socket, connection, {
      role: this.#role,
      options: this.#bindingOptions,
      deflate: init.deflate ?? null,
      handlers: hooks,
    });
    this.#binding = binding;
    binding.pause(PauseReason.START);
    this.#pings = new PingTracker(hooks, this.#heartbeatOptions);
    this.#state = 1;
    this.#openedAt = performance.now();
    if (channels.open.hasSubscribers) {
      channels.open.publish({ socket: this, remoteAddress: this.remoteAddress, protocol: this.#protocol, role: this.#role });
    }
  }

  /**
   * @internal Starts reading: dispatches `open` for clients, feeds the bytes that arrived with
   * the handshake, starts the heartbeat.
   */
  [kStart](head: Uint8Array | null, dispatchOpen: boolean): void {
    const binding = this.#binding;
    if (binding === null) return;
    this.#pings!.start();
    if (dispatchOpen) this.#dispatch(new WebSocketEvent('open', this), this.onopen);
    if (binding.isClosed) return;
    if (head !== null && head.length > 0) binding.receive(head);
    binding.resume(PauseReason.START);
  }

  /** @internal The client handshake failed or was aborted: error, then close 1006 (WHATWG). */
  [kFailConnecting](err: Error): void {
    if (this.#state !== 0) return;
    this.#abort = null;
    this.#state = 3;
    this.#errored = true;
    this.#dispatch(new WebSocketErrorEvent(err, this), this.onerror);
    this.#queue?.end();
    this.#dispatch(new WebSocketCloseEvent({ code: 1006, reason: '', wasClean: false, target: this }), this.onclose);
  }

  #dispatch(event: WebSocketEvent, handler: Handler<never> | null): void {
    if (handler !== null) {
      try {
        (handler as (this: WebSocket, e: WebSocketEvent) => void).call(this, event);
      } catch (err) {
        reportListenerError(err);
      }
    }
    this.#listeners?.dispatch(event, this);
  }

  #onEvents(events: ConnectionEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      switch (event.type) {
        case 'message':
          if (this.#rawSink !== null) this.#rawSink(event.data, event.binary);
          // WHATWG: messages are delivered only while OPEN (not after close() was called).
          else if (this.#state === 1) this.#deliver(event.data, event.binary);
          break;
        case 'ping':
          if (this.#listeners?.has('ping') === true) {
            this.#listeners.dispatch(new WebSocketMessageEvent(asBuffer(event.data), { binary: true, target: this, type: 'ping' }), this);
          }
          break;
        case 'pong':
          this.#pings?.pong(event.data);
          if (this.#listeners?.has('pong') === true) {
            this.#listeners.dispatch(new WebSocketMessageEvent(asBuffer(event.data), { binary: true, target: this, type: 'pong' }), this);
          }
          break;
        case 'closing':
          if (this.#state < 2) this.#state = 2;
          break;
        case 'close':
          this.#rememberAddress();
          if (this.#state < 2) this.#state = 2;
          this.#closeInfo = { code: event.code, reason: event.reason, wasClean: event.wasClean && event.error === null };
          if (event.error !== null) this.#fail(event.error);
          break;
        case 'inflate':
          // The binding runs inflate events through its DeflateChannel; one reaches us only if the
          // core was told the extension was negotiated without a channel, an engine bug: 1011.
          this.#connection!.fail(1011, 'Compression is not supported');
          break;
      }
    }
  }

  #deliver(data: Uint8Array, binary: boolean): void {
    const onmessage = this.onmessage;
    if (this.#queue === null && (this.#listeners === null || !this.#listeners.has('message'))) {
      if (onmessage === null) return;
      const value = binary ? this.#binaryValue(data) : decodeText(data);
      const previousText = dispatchedText;
      const previousBytes = dispatchedTextBytes;
      if (!binary) {
        dispatchedText = value as string;
        dispatchedTextBytes = data;
      }
      try {
        onmessage.call(this, new WebSocketMessageEvent(value, { binary, target: this }));
      } catch (err) {
        reportListenerError(err);
      } finally {
        dispatchedText = previousText;
        dispatchedTextBytes = previousBytes;
      }
      return;
    }
    const value = binary ? this.#binaryValue(data) : decodeText(data);
    if (onmessage !== null || this.#listeners?.has('message') === true) {
      const previousText = dispatchedText;
      const previousBytes = dispatchedTextBytes;
      if (!binary) {
        dispatchedText = value as string;
        dispatchedTextBytes = data;
      }
      try {
        this.#dispatch(new WebSocketMessageEvent(value, { binary, target: this }), onmessage);
      } finally {
        dispatchedText = previousText;
        dispatchedTextBytes = previousBytes;
      }
    }
    const queue = this.#queue;
    if (queue !== null) {
      const item = binary ? (Buffer.isBuffer(value) ? value : asBuffer(data)) : (value as string);
      queue.push(item, data.length);
    }
  }

  #binaryValue(data: Uint8Array): Buffer | ArrayBuffer | Blob {
    switch (this.#binaryType) {
      case 'nodebuffer':
        return asBuffer(data);
      case 'arraybuffer':
        return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      case 'blob':
        return new Blob([data]);
    }
  }

  #onSlowConsumer(action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void {
    if (channels.slowConsumer.hasSubscribers) {
      channels.slowConsumer.publish({ socket: this, policy: this.#bindingOptions.slowConsumerPolicy, action, bufferedAmount });
    }
    if (action === 'closed') this.close(this.#bindingOptions.slowConsumerCloseCode, 'Slow consumer');
  }

  #sendHeartbeatPing(payload: Uint8Array): void {
    const connection = this.#connection;
    if (connection === null || !connection.canSend) return;
    connection.ping(payload);
    this.#binding!.queued(payload.length + 2);
  }

  static {
    /**
     * The binding's and the heartbeat's way back into one WebSocket. A class declared here can
     * reach the private members; its methods live on its prototype, so a connection pays for one
     * two-word object instead of seven closures and their context (~600 bytes).
     */
    class Hooks implements BindingHandlers, PingHost {
      readonly #ws: WebSocket;

      constructor(ws: WebSocket) {
        this.#ws = ws;
      }

      events(events: ConnectionEvent[]): void {
        this.#ws.#onEvents(events);
      }

      slowConsumer(action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void {
        this.#ws.#onSlowConsumer(action, bufferedAmount);
      }

      error(err: Error): void {
        this.#ws.#onSocketError(err);
      }

      closed(): void {
        this.#ws.#onSocketClosed();
      }

      sendPing(payload: Uint8Array): void {
        this.#ws.#sendHeartbeatPing(payload);
      }

      terminate(): void {
        this.#ws.#binding?.destroy();
      }

      rtt(rttMs: number): void {
        if (channels.ping.hasSubscribers) channels.ping.publish({ socket: this.#ws, rttMs });
      }
    }
    createHooks = (ws) => new Hooks(ws);
  }

  #fail(err: Error): void {
    if (this.#errored) return;
    this.#errored = true;
    if (channels.error.hasSubscribers) channels.error.publish({ socket: this, error: err });
    this.#dispatch(new WebSocketErrorEvent(err, this), this.onerror);
  }

  #onSocketError(err: Error): void {
    // A reset peer is routine for servers: reported as an error event, never thrown.
    this.#fail(err);
  }

  #onSocketClosed(): void {
    this.#rememberAddress();
    this.#state = 3;
    this.#socket = null;
    this.#pings?.stop();
    const info = this.#closeInfo;
    const code = info?.code ?? 1006;
    const reason = info?.reason ?? '';
    const wasClean = info?.wasClean ?? false;
    this.#queue?.end();
    const onClosed = this.#onClosed;
    this.#onClosed = null;
    onClosed?.(this);
    if (channels.close.hasSubscribers) {
      channels.close.publish({ socket: this, code, reason, wasClean, durationMs: performance.now() - this.#openedAt });
    }
    this.#dispatch(new WebSocketCloseEvent({ code, reason, wasClean, target: this }), this.onclose);
  }
}

// WHATWG: the ready-state constants are on the interface object and on the prototype.
for (const [name, value] of [['CONNECTING', 0], ['OPEN', 1], ['CLOSING', 2], ['CLOSED', 3]] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true, writable: false, configurable: false });
}
