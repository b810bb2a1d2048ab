// Node binding: ws's EventTarget surface (addEventListener, onopen/onmessage/onerror/onclose) over the adapter's EventEmitter events.
import { EventEmitter } from 'node:events';

/** ws's `Event`: `type` and `target`. */
export class WsEvent {
  readonly type: string;
  readonly target: unknown;

  /**
   * @param type - 'open', 'message', 'error' or 'close'
   * @param target - the WebSocket
   */
  constructor(type: string, target: unknown) {
    this.type = type;
    this.target = target;
  }
}

/** ws's `MessageEvent`: text as a string, binary as `binaryType` says. */
export class WsMessageEvent extends WsEvent {
  readonly data: unknown;

  /**
   * @param data - the message
   * @param target - the WebSocket
   */
  constructor(data: unknown, target: unknown) {
    super('message', target);
    this.data = data;
  }
}

/** ws's `CloseEvent`. */
export class WsCloseEvent extends WsEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;

  /**
   * @param init - code, reason, wasClean
   * @param target - the WebSocket
   */
  constructor(init: { code: number; reason: string; wasClean: boolean }, target: unknown) {
    super('close', target);
    this.code = init.code;
    this.reason = init.reason;
    this.wasClean = init.wasClean;
  }
}

/** ws's `ErrorEvent`. */
export class WsErrorEvent extends WsEvent {
  readonly error: unknown;
  readonly message: string;

  /**
   * @param error - the cause
   * @param target - the WebSocket
   */
  constructor(error: unknown, target: unknown) {
    super('error', target);
    this.error = error;
    this.message = error instanceof Error ? error.message : String(error);
  }
}

/** A WHATWG listener: a function or an object with `handleEvent`. */
export type WsEventListener = ((event: never) => void) | { handleEvent(event: never): void };

type EventType = 'open' | 'message' | 'error' | 'close';
type Wrapper = ((...args: unknown[]) => void) & { [kListener]?: WsEventListener; [kForAttribute]?: boolean };

const kListener = Symbol('switchboard.ws.listener');
const kForAttribute = Symbol('switchboard.ws.forAttribute');
/** @internal Set by the WebSocket before it emits `close`: whether both Close frames were exchanged. */
export const kWasClean = Symbol('switchboard.ws.wasClean');

function isEventType(type: string): type is EventType {
  return type === 'open' || type === 'message' || type === 'error' || type === 'close';
}

/**
 * The EventTarget half of ws's WebSocket: WHATWG-style listeners translated from the EventEmitter
 * events (`message` data is a string for text, as in ws; `close` carries `wasClean`).
 */
export class WsEventTarget extends EventEmitter {
  /** @internal */
  [kWasClean] = false;

  /**
   * Adds a WHATWG-style listener (ws's semantics: a listener already added is not added twice).
   * @param type - 'open', 'message', 'error' or 'close'; others are ignored
   * @param listener - function or `{ handleEvent }`
   * @param options - `{ once: true }` removes it after one call
   */
  addEventListener(type: string, listener: WsEventListener, options: { once?: boolean } = {}): void {
    this.#add(type, listener, options.once === true, false);
  }

  #add(type: string, listener: WsEventListener, once: boolean, forAttribute: boolean): void {
    if (!isEventType(type)) return;
    for (const existing of this.listeners(type) as Wrapper[]) {
      if (existing[kListener] === listener && existing[kForAttribute] !== true) return;
    }
    const call = (event: WsEvent): void => {
      if (typeof listener === 'function') (listener as (this: unknown, e: WsEvent) => void).call(this, event);
      else (listener.handleEvent as (e: WsEvent) => void).call(listener, event);
    };
    let wrapper: Wrapper;
    switch (type) {
      case 'message':
        wrapper = (data, isBinary) => call(new WsMessageEvent(isBinary === true ? data : String(data), this));
        break;
      case 'close':
        wrapper = (code, reason) =>
          call(new WsCloseEvent({ code: code as number, reason: String(reason), wasClean: this[kWasClean] }, this));
        break;
      case 'error':
        wrapper = (error) => call(new WsErrorEvent(error, this));
        break;
      case 'open':
        wrapper = () => call(new WsEvent('open', this));
        break;
    }
    wrapper[kListener] = listener;
    wrapper[kForAttribute] = forAttribute;
    if (once) this.once(type, wrapper);
    else this.on(type, wrapper);
  }

  /**
   * Removes a listener added with {@link addEventListener}.
   * @param type - event type
   * @param listener - the same function or object
   */
  removeEventListener(type: string, listener: WsEventListener): void {
    for (const wrapper of this.listeners(type) as Wrapper[]) {
      if (wrapper[kListener] === listener && wrapper[kForAttribute] !== true) {
        this.removeListener(type, wrapper);
        return;
      }
    }
  }

  #attribute(type: EventType): WsEventListener | null {
    for (const wrapper of this.listeners(type) as Wrapper[])
      if (wrapper[kForAttribute] === true) return wrapper[kListener] ?? null;
    return null;
  }

  #setAttribute(type: EventType, handler: WsEventListener | null): void {
    for (const wrapper of this.listeners(type) as Wrapper[]) {
      if (wrapper[kForAttribute] === true) this.removeListener(type, wrapper);
    }
    if (typeof handler === 'function') this.#add(type, handler, false, true);
  }

  /** `open` handler (WHATWG attribute). */
  get onopen(): WsEventListener | null {
    return this.#attribute('open');
  }

  set onopen(handler: WsEventListener | null) {
    this.#setAttribute('open', handler);
  }

  /** `message` handler (WHATWG attribute). */
  get onmessage(): WsEventListener | null {
    return this.#attribute('message');
  }

  set onmessage(handler: WsEventListener | null) {
    this.#setAttribute('message', handler);
  }

  /** `error` handler (WHATWG attribute). */
  get onerror(): WsEventListener | null {
    return this.#attribute('error');
  }

  set onerror(handler: WsEventListener | null) {
    this.#setAttribute('error', handler);
  }

  /** `close` handler (WHATWG attribute). */
  get onclose(): WsEventListener | null {
    return this.#attribute('close');
  }

  set onclose(handler: WsEventListener | null) {
    this.#setAttribute('close', handler);
  }
}
