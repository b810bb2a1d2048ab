// Node binding: the EventTarget half of the WebSocket: handler properties, listeners, message delivery, async iteration.
import { asBuffer } from './byte-views.ts';
import {
  ListenerList,
  reportListenerError,
  type WebSocketCloseEvent,
  type WebSocketErrorEvent,
  type WebSocketEvent,
  WebSocketMessageEvent,
  type WebSocketListener,
} from './events.ts';
import { MessageQueue } from './message-queue.ts';
import { decodeText, dispatchText } from './text-dispatch.ts';
import { ReadyStates, type BinaryType, type ReadyState } from './websocket-internal.ts';
/** A handler property: called with the socket (the public WebSocket class) as `this`. */
type Handler<S, E> = ((this: S, event: E) => void) | null;

/** @internal Dispatches an event to a handler property (or none) and the listeners. */
export const kEmit = Symbol('switchboard.emit');
/** @internal Hands a received message out: handlers and listeners, or the async iterator's queue. */
export const kDeliver = Symbol('switchboard.deliver');
/** @internal Whether any listener of a type was added. */
export const kHasListener = Symbol('switchboard.hasListener');
/** @internal The connection closed: the async iterator ends after what it holds. */
export const kEndIteration = Symbol('switchboard.endIteration');
/** @internal The subclass stops (true) or resumes (false) reading for the async iterator. */
export const kPauseForIterator = Symbol('switchboard.pauseForIterator');

/**
 * The EventTarget half of the engine's WebSocket: `on*` handler properties, `addEventListener`, how a
 * received message is handed out (handlers, listeners or async iteration, as `binaryType` says;
 * text decoding and the echo shortcut are in text-dispatch.ts). The connection half (state, sending, closing) is the subclass.
 */
export abstract class WebSocketEventTarget {
  /** Called when a client connection opened (server sockets are open from the start). */
  onopen: Handler<this, WebSocketEvent> = null;
  /** Called for each message; the fast path when no other listener exists. */
  onmessage: Handler<this, WebSocketMessageEvent> = null;
  /** Called when the connection failed (protocol error, socket error, failed handshake). */
  onerror: Handler<this, WebSocketErrorEvent> = null;
  /** Called once when the TCP connection closed. */
  onclose: Handler<this, WebSocketCloseEvent> = null;

  #binaryType: BinaryType = 'nodebuffer';
  #listeners: ListenerList | null = null;
  #queue: MessageQueue | null = null;

  /** WHATWG ready state (the subclass derives it from the connection). */
  abstract get readyState(): ReadyState;

  /** @internal Stops (true) or resumes (false) reading while the iterator's queue is long. */
  protected abstract [kPauseForIterator](on: boolean): void;

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
  addEventListener(
    type: 'message',
    listener: WebSocketListener<WebSocketMessageEvent>,
    options?: { once?: boolean } | boolean,
  ): void;
  addEventListener(
    type: 'close',
    listener: WebSocketListener<WebSocketCloseEvent>,
    options?: { once?: boolean } | boolean,
  ): void;
  addEventListener(
    type: 'error',
    listener: WebSocketListener<WebSocketErrorEvent>,
    options?: { once?: boolean } | boolean,
  ): void;
  addEventListener(
    type: string,
    listener: WebSocketListener<WebSocketEvent>,
    options?: { once?: boolean } | boolean,
  ): void;
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
   * Iterates over received messages (text as string, binary as Buffer, whatever `binaryType`
   * says) until the connection closes. Start iterating right after the socket is handed to you:
   * messages that arrive while nobody listens are not kept. While more than 128 messages or 1 MiB
   * wait in the iterator's queue, the socket stops reading (TCP backpressure reaches the peer).
   * Breaking out of the loop does not close the connection.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<string | Buffer> {
    if (this.#queue !== null && !this.#queue.done) return this.#queue;
    const queue = new MessageQueue(
      (on) => this[kPauseForIterator](on),
      () => {
        if (this.#queue === queue) this.#queue = null;
      },
    );
    this.#queue = queue;
    if (this.readyState === ReadyStates.CLOSED) queue.end();
    return queue;
  }

  /** @internal Calls `handler` (a handler property, or null), then the listeners of the event's type. */
  protected [kEmit](event: WebSocketEvent, handler: Handler<never, never>): void {
    if (handler !== null) {
      try {
        (handler as (this: unknown, e: WebSocketEvent) => void).call(this, event);
      } catch (err) {
        reportListenerError(err);
      }
    }
    this.#listeners?.dispatch(event, this);
  }

  /** @internal Whether a listener of `type` was added. */
  protected [kHasListener](type: string): boolean {
    return this.#listeners?.has(type) === true;
  }

  /** @internal The async iterator ends once it handed out what it holds. */
  protected [kEndIteration](): void {
    this.#queue?.end();
  }

  /**
   * @internal Hands a received message to `onmessage`, the listeners and the async iterator. When
   * only `onmessage` is set this costs one light event object (the fast path).
   */
  protected [kDeliver](data: Uint8Array, binary: boolean): void {
    const onmessage = this.onmessage;
    const queue = this.#queue;
    const listening = onmessage !== null || this.#listeners?.has('message') === true;
    if (!listening && queue === null) return;
    const value = binary ? this.#binaryValue(data) : decodeText(data);
    if (listening) {
      const event = new WebSocketMessageEvent(value, { binary, target: this });
      if (binary) this[kEmit](event, onmessage);
      else dispatchText(value as string, data, this.#emitMessage, this, event);
    }
    if (queue !== null) {
      const item = binary ? (Buffer.isBuffer(value) ? value : asBuffer(data)) : (value as string);
      queue.push(item, data.length);
    }
  }

  /** The message dispatch {@link dispatchText} calls (a method, so it allocates no closure). */
  #emitMessage(this: WebSocketEventTarget, event: WebSocketMessageEvent): void {
    this[kEmit](event, this.onmessage);
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
}
