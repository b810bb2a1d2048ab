// HTTP transports: the event-stream (SSE) session transport: server messages as `data:` events on one response.
import type http from 'node:http';
import type { SessionTransport } from '../../realtime/index.ts';

/** Streams with events waiting for the end of the turn, written together by one `setImmediate`. */
let dirty: SseTransport[] = [];

function flushDirty(): void {
  const streams = dirty;
  dirty = [];
  for (const stream of streams) stream.flush();
}

/**
 * A session's transport over one `text/event-stream` response (docs/protocol.md § 15.2): an `open` event with the
 * session id, one unnamed event per server message, a keepalive comment on a period, and a `close` event then the
 * end of the response when the session ends. A cut stream is a close with 1006.
 */
export class SseTransport implements SessionTransport {
  readonly remoteAddress: string;
  readonly kind = 'sse';
  /** JSON only: '' picks the JSON codec. */
  readonly protocol = '';
  readonly #res: http.ServerResponse;
  readonly #keepalive: ReturnType<typeof setInterval>;
  readonly #ended: (code: number, reason: string, byPeer: boolean) => void;
  #open = true;
  /**
   * Events written in this turn, not yet handed to the response: a fan-out round of several publications is one
   * `write` per stream rather than one per event (the syscall was ~38 % of the busy time on event streams).
   */
  #pending = '';

  /**
   * Writes the response head and the `open` event.
   * @param res The response of `GET /http/stream`, head not yet written.
   * @param init The client's address, the session id, the keepalive period (ms), headers to add (CORS), and what to
   *   call once when the stream ends (`byPeer`: the client went away rather than the session closing it).
   */
  constructor(
    res: http.ServerResponse,
    init: {
      readonly remoteAddress: string;
      readonly sessionId: string;
      readonly keepaliveMs: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly ended: (code: number, reason: string, byPeer: boolean) => void;
    },
  ) {
    this.#res = res;
    this.remoteAddress = init.remoteAddress;
    this.#ended = init.ended;
    // The body ends with the connection rather than in chunks (bench/RESULTS.md `transports`: ~12 % less server CPU
    // per event): an event stream is never followed by another request on its connection anyway.
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      ...init.headers,
    });
    res.socket?.setNoDelay(true);
    res.write(`event: open\ndata: ${JSON.stringify({ session: init.sessionId })}\n\n`);
    this.#keepalive = setInterval(() => {
      if (this.#open) this.#write(': keepalive\n\n');
    }, init.keepaliveMs);
    res.once('close', () => this.#end(1006, '', true));
  }

  /**
   * Bytes written and not yet on the wire (the response's and its socket's buffers, and this turn's events, counted
   * in UTF-16 units): slow-consumer policies read it.
   */
  get bufferedAmount(): number {
    return this.#open ? this.#res.writableLength + this.#pending.length : 0;
  }

  /**
   * Writes one server message as an unnamed event (a JSON message is one line).
   * @param frame The encoded message (text: sessions over this transport speak JSON).
   * @returns false once the stream ended.
   */
  send(frame: string | Uint8Array): boolean {
    if (!this.#open) return false;
    const text = typeof frame === 'string' ? frame : Buffer.from(frame).toString('utf8');
    this.#write(`data: ${text}\n\n`);
    return true;
  }

  /** Hands this turn's events to the response (called at the end of the turn). */
  flush(): void {
    const pending = this.#pending;
    if (pending === '') return;
    this.#pending = '';
    if (this.#open) this.#res.write(pending);
  }

  /**
   * Writes the `close` event and ends the response.
   * @param code The close code.
   * @param reason The close reason.
   */
  close(code: number, reason: string): void {
    if (!this.#open) return;
    const pending = this.#pending;
    this.#pending = '';
    this.#res.end(`${pending}event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    this.#end(code, reason, false);
  }

  #write(text: string): void {
    if (this.#pending === '') {
      if (dirty.length === 0) setImmediate(flushDirty);
      dirty.push(this);
    }
    this.#pending += text;
  }

  #end(code: number, reason: string, byPeer: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#keepalive);
    this.#ended(code, reason, byPeer);
  }
}
