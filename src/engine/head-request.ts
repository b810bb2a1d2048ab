// Node binding: the upgrade request the `net` accept path hands to hooks and events, read from the protocol's parsed head.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { headersOf, rawHeadersOf, type RequestHead } from '../protocol/index.ts';

/** @internal Marks a request read by the `net` accept path; its value is the parsed head. */
export const kRequestHead = Symbol('switchboard.requestHead');

/**
 * The request of an upgrade read by the engine's own parser (the `net` accept path). It has the
 * fields of Node's `IncomingMessage` that an upgrade handler reads: `method`, `url`,
 * `httpVersion`, `headers`, `headersDistinct`, `rawHeaders` and `socket` (and its old alias
 * `connection`). The header maps are built on first access, once, in the shape Node builds them;
 * an accept hook that reads none builds none. It is not a stream: an upgrade request has no body,
 * and the socket belongs to the WebSocket. Code that needs a real `IncomingMessage` runs with
 * `acceptPath: 'http'`.
 */
export class HeadRequest {
  /** @internal */
  readonly [kRequestHead]: RequestHead;
  /** The connection's socket. */
  readonly socket: Socket;

  /**
   * @param head - the parsed head
   * @param socket - the connection it arrived on
   */
  constructor(head: RequestHead, socket: Socket) {
    this[kRequestHead] = head;
    this.socket = socket;
  }

  /** Request method (`GET`). */
  get method(): string {
    return this[kRequestHead].method;
  }

  /** Request target as sent (path and query). */
  get url(): string {
    return this[kRequestHead].url;
  }

  /** `1.1` */
  get httpVersion(): string {
    return this[kRequestHead].httpVersion;
  }

  /** Lower-case header names, values combined as Node combines them. */
  get headers(): IncomingHttpHeaders {
    return this[kRequestHead].headers as IncomingHttpHeaders;
  }

  /** Every header as an array of its lines. */
  get headersDistinct(): Record<string, string[]> {
    return this[kRequestHead].headersDistinct;
  }

  /** Names and values as sent, alternating. */
  get rawHeaders(): string[] {
    return this[kRequestHead].rawHeaders;
  }

  /** Same as `socket` (Node's deprecated alias). */
  get connection(): Socket {
    return this.socket;
  }

  /**
   * The request as the engine's hooks and events type it. The hook signatures name Node's
   * `IncomingMessage` so both accept paths share them; this object carries the fields listed above.
   */
  asIncomingMessage(): IncomingMessage {
    return this as unknown as IncomingMessage;
  }
}

/** @internal The parsed head behind a request of the `net` accept path, or undefined for Node's own requests. */
export function requestHeadOf(req: IncomingMessage): RequestHead | undefined {
  return (req as unknown as Partial<HeadRequest>)[kRequestHead];
}

/**
 * What a connection of the `net` path keeps of its request (`ws.request`): the head's text only,
 * with the header map built on first access. The parsed head, its picked headers and the request
 * object handed to the hooks are all released after the handshake.
 */
export class KeptRequest {
  /** Request target (path and query). */
  readonly url: string;
  #text: string;
  #headers: IncomingHttpHeaders | null = null;

  /** @param head - the parsed head of the upgrade */
  constructor(head: RequestHead) {
    this.url = head.url;
    this.#text = head.text;
  }

  /** Lower-case header names, values combined as Node combines them; built once, on first access. */
  get headers(): IncomingHttpHeaders {
    if (this.#headers === null) {
      this.#headers = headersOf(rawHeadersOf(this.#text)) as IncomingHttpHeaders;
      this.#text = '';
    }
    return this.#headers;
  }
}
