// Node binding: ws's `WebSocket` class (EventEmitter, (data, isBinary) messages, send callbacks) over the engine's WebSocket.
// Over 400 lines because it is ws's public surface, method by method; the adapter's other parts live beside it.
import { HandshakeError, Opcode, ProtocolError, isValidCloseCode } from '../../protocol/index.ts';
import { asBuffer } from '../byte-views.ts';
import { createWebSocket, type HandshakeResponse } from '../client.ts';
import {
  reportListenerError,
  type WebSocketCloseEvent,
  type WebSocketErrorEvent,
  type WebSocketMessageEvent,
} from '../events.ts';
import { PauseReason } from '../socket-binding.ts';
import { kAdapter, type AdapterAccess, type WebSocket as EngineWebSocket } from '../websocket.ts';
import { toEngineClientOptions, type WsClientOptions } from './client-options.ts';
import { kWasClean, WsEventTarget } from './event-target.ts';
import {
  responseLike,
  toBytes,
  type WsBinaryType,
  type WsData,
  type WsMessageData,
  type WsSendOptions,
} from './values.ts';

export type { WsBinaryType, WsData, WsMessageData, WsResponseLike, WsSendOptions } from './values.ts';

/** Byte limit of a close reason (RFC 6455 §5.5: control payloads ≤ 125, minus the 2-byte code). */
const MAX_REASON_BYTES = 123;
const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

/** @internal Binds a server-side adapter socket to the engine socket the server accepted. */
export const kBindServer = Symbol('switchboard.ws.bindServer');

function notOpen(state: number): Error {
  return new Error(`WebSocket is not open: readyState ${state} (${READY_STATE_NAMES[state as 0 | 1 | 2 | 3]})`);
}

type Callback = (err?: Error) => void;

/**
 * ws's `WebSocket`: an EventEmitter with `message` (data, isBinary), `open`, `close` (code, reason
 * Buffer), `error`, `ping`, `pong`, `upgrade` and `unexpected-response` events. Server sockets come
 * from `WebSocketServer`; `new WebSocket(url, protocols, options)` opens a client through the
 * engine's `createWebSocket()`.
 *
 * As in ws, socket errors (ECONNRESET) are not emitted as `error`; protocol violations are.
 * Differences from ws: `ping`/`pong` events and automatic pongs cannot be turned off; `binaryType: 'fragments'` gives a
 * one-element array (the engine assembles messages); `upgrade` and `unexpected-response` carry
 * the status and headers, not an `http.IncomingMessage`.
 *
 * @example
 * ```ts
 * const ws = new WebSocket('ws://127.0.0.1:8080/');
 * ws.on('open', () => ws.send('something'));
 * ws.on('message', (data, isBinary) => console.log(isBinary ? data : data.toString()));
 * ```
 */
export class WebSocket extends WsEventTarget {
  /** The connection is not yet open. */
  static readonly CONNECTING = 0;
  /** The connection is open and ready to communicate. */
  static readonly OPEN = 1;
  /** The connection is going through the closing handshake. */
  static readonly CLOSING = 2;
  /** The connection is closed. */
  static readonly CLOSED = 3;
  /** Same as the static constant (ws). */
  readonly CONNECTING = 0;
  /** Same as the static constant (ws). */
  readonly OPEN = 1;
  /** Same as the static constant (ws). */
  readonly CLOSING = 2;
  /** Same as the static constant (ws). */
  readonly CLOSED = 3;

  #engine: EngineWebSocket | null = null;
  #access: AdapterAccess | null = null;
  #isServer = false;
  #binaryType: WsBinaryType = 'nodebuffer';
  #fragmenting = false;
  #paused = false;
  #abortMessage: string | null = null;
  #response: HandshakeResponse | null = null;

  /**
   * Opens a client connection, or (with `address` null) makes a server socket for `WebSocketServer`.
   * @param address - ws://, wss://, http:// or https:// URL; null for server sockets
   * @param protocols - subprotocols to offer (or the options object, as in ws)
   * @param options - headers, origin, timeouts, limits, TLS
   * @throws SyntaxError for an invalid URL; RangeError for a protocolVersion other than 13
   */
  constructor(
    address: string | URL | null,
    protocols?: string | string[] | WsClientOptions,
    options?: WsClientOptions,
  ) {
    super();
    if (address === null) {
      this.#isServer = true;
      return;
    }
    const engineOptions = toEngineClientOptions(protocols, options);
    engineOptions.onResponse = (res) => {
      this.#response = res;
    };
    this.#bind(createWebSocket(address, engineOptions));
  }

  /** @internal Server side: adopt the engine socket of an accepted upgrade. */
  [kBindServer](engine: EngineWebSocket): void {
    this.#bind(engine);
  }

  #bind(engine: EngineWebSocket): void {
    this.#engine = engine;
    this.#access = engine[kAdapter]((data, binary) => this.#onMessage(data, binary));
    engine.onopen = () => {
      this.#access = engine[kAdapter]();
      this.#emitSafely('upgrade', responseLike(this.#response ?? { statusCode: 101, headers: {} }));
      this.#emitSafely('open');
    };
    engine.onerror = (event: WebSocketErrorEvent) => this.#onError(event.error);
    engine.onclose = (event: WebSocketCloseEvent) => {
      this.#paused = false;
      this[kWasClean] = event.wasClean;
      this.#emitSafely('close', event.code, Buffer.from(event.reason, 'utf8'));
    };
    // The engine dispatches ping and pong (Buffer payloads) as message-shaped events to listeners only.
    engine.addEventListener('ping', (event) => this.#emitSafely('ping', (event as WebSocketMessageEvent).data));
    engine.addEventListener('pong', (event) => this.#emitSafely('pong', (event as WebSocketMessageEvent).data));
  }

  /** Emits without letting a listener's exception unwind into the engine (it is rethrown on the next tick, as an uncaught error). */
  #emitSafely(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      reportListenerError(err);
    }
  }

  #onMessage(data: Uint8Array, binary: boolean): void {
    let value: WsMessageData;
    if (!binary) value = asBuffer(data);
    else {
      switch (this.#binaryType) {
        case 'nodebuffer':
          value = asBuffer(data);
          break;
        case 'arraybuffer':
          value = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
          break;
        case 'fragments':
          value = [asBuffer(data)];
          break;
        case 'blob':
          value = new Blob([data]);
          break;
      }
    }
    this.#emitSafely('message', value, binary);
  }

  #onError(err: Error): void {
    if (this.#access !== null) {
      // Open connection: ws reports protocol violations (with the close code it sends), never socket errors.
      if (err instanceof ProtocolError) this.#emitSafely('error', err);
      return;
    }
    // The handshake failed.
    if (this.#abortMessage !== null) {
      this.#emitSafely('error', new Error(this.#abortMessage, { cause: err }));
      return;
    }
    if (
      err instanceof HandshakeError &&
      err.code === 'WS_ERR_UNEXPECTED_RESPONSE' &&
      this.listenerCount('unexpected-response') > 0
    ) {
      this.#emitSafely(
        'unexpected-response',
        null,
        responseLike(this.#response ?? { statusCode: err.status, headers: err.headers }),
      );
      return;
    }
    if (err instanceof HandshakeError && err.code === 'WS_ERR_UNEXPECTED_RESPONSE') {
      this.#emitSafely(
        'error',
        Object.assign(new Error(`Unexpected server response: ${err.status}`, { cause: err }), { code: err.code }),
      );
      return;
    }
    this.#emitSafely('error', err);
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED. */
  get readyState(): 0 | 1 | 2 | 3 {
    return this.#engine?.readyState ?? 0;
  }

  /** The selected subprotocol ('' when none). */
  get protocol(): string {
    return this.#engine?.protocol ?? '';
  }

  /** The negotiated extension names, comma-separated, as ws (`'permessage-deflate'` or ''). */
  get extensions(): string {
    const header = this.#engine?.extensions ?? '';
    if (header === '') return '';
    return header
      .split(',')
      .map((ext) => ext.split(';')[0]!.trim())
      .join();
  }

  /** Client: the URL. Server: the request target. */
  get url(): string {
    return this.#engine?.url ?? '';
  }

  /** Bytes queued but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#engine?.bufferedAmount ?? 0;
  }

  /** Whether the peer's messages are held back by {@link pause}. */
  get isPaused(): boolean {
    return this.#paused;
  }

  /** Whether this is the server side of the connection. */
  get isServer(): boolean {
    return this.#isServer;
  }

  /** The engine socket under this adapter (for `remoteAddress`, `latencyMs`, `context`); null before binding. */
  get engine(): EngineWebSocket | null {
    return this.#engine;
  }

  /** How binary messages are handed out; text messages are always a Buffer (ws 8). */
  get binaryType(): WsBinaryType {
    return this.#binaryType;
  }

  set binaryType(type: WsBinaryType) {
    if (type === 'nodebuffer' || type === 'arraybuffer' || type === 'fragments' || type === 'blob')
      this.#binaryType = type;
  }

  /**
   * Sends a message, or a fragment with `{ fin: false }`.
   * @param data - string (text unless `binary`), bytes (binary unless `binary: false`), number (as text)
   * @param options - binary, fin (compress and mask are accepted and ignored)
   * @param cb - called once the data was handed to the kernel, or with an error
   * @throws Error while CONNECTING (ws)
   */
  send(data: WsData, options?: WsSendOptions | Callback, cb?: Callback): void {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    const state = this.readyState;
    if (state === 0) throw notOpen(0);
    const access = this.#access;
    if (state !== 1 || access === null || !access.connection.canSend) {
      this.#afterClose(cb);
      return;
    }
    // ws turns a number into a string first, so it goes out as text.
    if (typeof data === 'number') data = String(data);
    const binary = options?.binary ?? typeof data !== 'string';
    const fin = options?.fin ?? true;
    const { binding, deflate } = access;
    const whole = fin && !this.#fragmenting;
    let queued: boolean;
    if (whole && deflate !== null && options?.compress !== false) {
      // Compressed at the channel's threshold, in order behind compressions in flight.
      queued = binding.sendMessage(binary ? Opcode.BINARY : Opcode.TEXT, toBytes(data));
    } else if (whole && deflate === null && typeof data === 'string' && !binary) {
      queued = binding.sendString(data);
    } else {
      // Fragments, bytes sent as text, and `compress: false` (RFC 7692 §6.1 lets any message go out uncompressed).
      const opcode = this.#fragmenting ? Opcode.CONTINUATION : binary ? Opcode.BINARY : Opcode.TEXT;
      queued = binding.sendFrame(opcode, toBytes(data), fin);
      if (queued) this.#fragmenting = !fin;
    }
    if (!queued) {
      this.#dropped(cb);
      return;
    }
    if (cb !== undefined) this.#afterFlush(access, cb);
  }

  /** Calls `cb` once what was sent so far reached the kernel (behind compressions in flight, as ws's Sender). */
  #afterFlush(access: AdapterAccess, cb: Callback): void {
    const { binding, deflate } = access;
    const flushed = (): void => binding.whenFlushed((err) => (err === null ? cb() : cb(err)));
    if (deflate !== null) deflate.afterSends(flushed);
    else flushed();
  }

  /**
   * Sends a ping. An empty ping when `data` is omitted.
   * @param data - at most 125 bytes
   * @param mask - ignored (the role decides)
   * @param cb - called once the frame was handed to the kernel, or with an error
   * @throws Error while CONNECTING; RangeError over 125 bytes
   */
  ping(data?: WsData | Callback, mask?: boolean | Callback, cb?: Callback): void {
    this.#control('ping', data, mask, cb);
  }

  /**
   * Sends an unsolicited pong (RFC 6455 §5.5.3 "A Pong frame MAY be sent unsolicited").
   * @param data - at most 125 bytes
   * @param mask - ignored (the role decides)
   * @param cb - called once the frame was handed to the kernel, or with an error
   * @throws Error while CONNECTING; RangeError over 125 bytes
   */
  pong(data?: WsData | Callback, mask?: boolean | Callback, cb?: Callback): void {
    this.#control('pong', data, mask, cb);
  }

  #control(
    kind: 'ping' | 'pong',
    data: WsData | Callback | undefined,
    mask: boolean | Callback | undefined,
    cb: Callback | undefined,
  ): void {
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    } else if (typeof mask === 'function') {
      cb = mask;
    }
    const state = this.readyState;
    if (state === 0) throw notOpen(0);
    const bytes = data === undefined ? new Uint8Array(0) : toBytes(data);
    // RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    if (bytes.length > 125) throw new RangeError('The data size must not be greater than 125 bytes');
    const access = this.#access;
    if (state !== 1 || access === null || !access.connection.canSend) {
      this.#afterClose(cb);
      return;
    }
    // Behind messages still being compressed, as ws's Sender queues them.
    access.binding.sendControl(kind === 'ping' ? Opcode.PING : Opcode.PONG, bytes, true);
    if (cb !== undefined) this.#afterFlush(access, cb);
  }

  /** ws's sendAfterClose: the callback learns that nothing was sent. */
  #afterClose(cb: Callback | undefined): void {
    if (cb !== undefined) process.nextTick(cb, notOpen(this.readyState));
  }

  #dropped(cb: Callback | undefined): void {
    if (cb !== undefined) process.nextTick(cb, new Error('Cannot send: the slow-consumer policy dropped the message'));
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). While CONNECTING the attempt is aborted
   * (`error` then `close` 1006, as ws).
   * @param code - 1000-1003, 1007-1014 or 3000-4999; none sends an empty Close (received as 1005)
   * @param reason - at most 123 bytes, sent only with a code
   * @throws TypeError for an invalid code; RangeError for a reason over 123 bytes (ws's messages)
   */
  close(code?: number, reason?: string | Buffer): void {
    const state = this.readyState;
    if (state === 3) return;
    if (state === 0) {
      this.#abort();
      return;
    }
    // RFC 6455 §7.4: only registered or application codes go on the wire (never 1005/1006/1015).
    if (code !== undefined && (typeof code !== 'number' || !isValidCloseCode(code))) {
      throw new TypeError('First argument must be a valid error code number');
    }
    const text = reason === undefined ? '' : typeof reason === 'string' ? reason : reason.toString('utf8');
    if (Buffer.byteLength(text, 'utf8') > MAX_REASON_BYTES)
      throw new RangeError('The message must not be greater than 123 bytes');
    if (state === 2) return;
    if (code === undefined) this.#engine!.close();
    else this.#engine!.close(code, text);
  }

  /** Destroys the connection at once, without a closing handshake (`close` 1006). */
  terminate(): void {
    const state = this.readyState;
    if (state === 3) return;
    if (state === 0) {
      this.#abort();
      return;
    }
    this.#engine!.terminate();
  }

  #abort(): void {
    this.#abortMessage = 'WebSocket was closed before the connection was established';
    this.#engine?.terminate();
  }

  /** Stops reading from the socket: messages wait in the kernel and TCP pushes back on the peer. */
  pause(): void {
    const state = this.readyState;
    if (state === 0 || state === 3 || this.#access === null) return;
    this.#paused = true;
    this.#access.binding.pause(PauseReason.USER);
  }

  /** Undoes {@link pause}. */
  resume(): void {
    const state = this.readyState;
    if (state === 0 || state === 3 || this.#access === null) return;
    this.#paused = false;
    this.#access.binding.resume(PauseReason.USER);
  }
}
