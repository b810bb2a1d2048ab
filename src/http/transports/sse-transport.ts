// HTTP transports: the event-stream (SSE) session transport: server messages as `data:` events on one response.
import type http from 'node:http';
import type { SessionTransport } from '../../realtime/index.ts';

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
      if (this.#open) res.write(': keepalive\n\n');
    }, init.keepaliveMs);
    res.once('close', () => this.#end(1006, '', true));
  }

  /** Bytes written and not yet on the wire (the response's and its socket's buffers): slow-consumer policies read it. */
  get bufferedAmount(): number {
    return this.#open ? this.#res.writableLength : 0;
  }

  /**
   * Writes one server message as an unnamed event (a JSON message is one line).
   * @param frame The encoded message (text: sessions over this transport speak JSON).
   * @returns false once the stream ended.
   */
  send(frame: string | Uint8Array): boolean {
    if (!this.#open) return false;
    const text = typeof frame === 'string' ? frame : Buffer.from(frame).toString('utf8');
    this.#res.write(`data: ${text}\n\n`);
    return true;
  }

  /**
   * Writes the `close` event and ends the response.
   * @param code The close code.
   * @param reason The close reason.
   */
  close(code: number, reason: string): void {
    if (!this.#open) return;
    this.#res.end(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
    this.#end(code, reason, false);
  }

  #end(code: number, reason: string, byPeer: boolean): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#keepalive);
    this.#ended(code, reason, byPeer);
  }
}
