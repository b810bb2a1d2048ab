// Node binding: light WHATWG-shaped event objects and a listener list, without EventTarget machinery.

/** Base of every event a {@link WebSocket} dispatches (WHATWG `Event` subset). */
export class WebSocketEvent {
  /** `open`, `message`, `error` or `close`. */
  readonly type: string;
  /** The WebSocket that dispatched the event. */
  readonly target: unknown;

  /**
   * @param type - event type
   * @param target - the dispatching socket
   */
  constructor(type: string, target: unknown) {
    this.type = type;
    this.target = target;
  }

  /** Same as `target` (WHATWG). */
  get currentTarget(): unknown {
    return this.target;
  }
}

/**
 * A received message (WHATWG `MessageEvent` subset). `data` is a string for text messages and,
 * for binary messages, a Buffer, ArrayBuffer or Blob as chosen by `binaryType`.
 */
export class WebSocketMessageEvent<T = string | Buffer | ArrayBuffer | Blob> extends WebSocketEvent {
  /** The message. A Buffer may be a view into the socket's read buffer; it is yours to keep. */
  readonly data: T;
  /** True for binary messages (not in WHATWG: saves a `typeof` check). */
  readonly binary: boolean;

  /**
   * @param data - the decoded message
   * @param init - binary flag, target, and type (`ping`/`pong` events reuse this shape)
   */
  constructor(data: T, init: { binary: boolean; target: unknown; type?: 'message' | 'ping' | 'pong' }) {
    super(init.type ?? 'message', init.target);
    this.data = data;
    this.binary = init.binary;
  }
}

/** The connection closed (WHATWG `CloseEvent` subset). */
export class WebSocketCloseEvent extends WebSocketEvent {
  /** Close code received, 1005 when the peer's Close had none, 1006 when no Close was received. */
  readonly code: number;
  /** Close reason received ('' when none). */
  readonly reason: string;
  /** True when both Close frames were exchanged and TCP closed afterwards. */
  readonly wasClean: boolean;

  /**
   * @param init - code, reason, wasClean and target
   */
  constructor(init: { code: number; reason: string; wasClean: boolean; target: unknown }) {
    super('close', init.target);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/** The connection failed (WHATWG `ErrorEvent` subset); `error` says why. */
export class WebSocketErrorEvent extends WebSocketEvent {
  /** The cause: a ProtocolError, HandshakeError or socket error. */
  readonly error: Error;
  /** `error.message`. */
  readonly message: string;

  /**
   * @param error - the cause
   * @param target - the dispatching socket
   */
  constructor(error: Error, target: unknown) {
    super('error', target);
    this.error = error;
    this.message = error.message;
  }
}

/** A listener: a function or an object with `handleEvent` (WHATWG). */
export type WebSocketListener<E> = ((event: E) => void) | { handleEvent(event: E): void };

interface Entry {
  readonly listener: WebSocketListener<never>;
  readonly once: boolean;
}

/** Reports an exception thrown by a listener without interrupting dispatch (WHATWG "report the exception"). */
export function reportListenerError(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

/** The listeners added with `addEventListener`, by type. Dispatch never lets a listener's exception escape. */
export class ListenerList {
  readonly #byType = new Map<string, Entry[]>();

  /** Whether any listener for `type` exists. */
  has(type: string): boolean {
    const list = this.#byType.get(type);
    return list !== undefined && list.length > 0;
  }

  /** Adds `listener` unless it is already registered for `type` (WHATWG dedupe). */
  add(type: string, listener: WebSocketListener<never>, once: boolean): void {
    let list = this.#byType.get(type);
    if (list === undefined) {
      list = [];
      this.#byType.set(type, list);
    }
    for (const e of list) if (e.listener === listener) return;
    list.push({ listener, once });
  }

  /** Removes `listener` for `type`. */
  remove(type: string, listener: WebSocketListener<never>): void {
    const list = this.#byType.get(type);
    if (list === undefined) return;
    const i = list.findIndex((e) => e.listener === listener);
    if (i >= 0) list.splice(i, 1);
  }

  /** Calls the listeners of `event.type` in order; `once` listeners are removed first. */
  dispatch(event: WebSocketEvent, thisArg: unknown): void {
    const list = this.#byType.get(event.type);
    if (list === undefined || list.length === 0) return;
    for (const entry of list.slice()) {
      if (entry.once) this.remove(event.type, entry.listener);
      try {
        const l = entry.listener as WebSocketListener<WebSocketEvent>;
        if (typeof l === 'function') l.call(thisArg, event);
        else l.handleEvent(event);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }
}
