// Client SDK (Node-free): a parser of `text/event-stream` (WHATWG HTML § 9.2.6, "Interpreting an event stream"), fed
// with the decoded text of a streamed response body in chunks cut anywhere, even inside a CRLF.

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field, `'message'` when absent. */
  readonly event: string;
  /** The `data` lines joined with `\n`. */
  readonly data: string;
  /** The last `id` field seen so far (the stream's last event id), `''` when none. */
  readonly id: string;
}

/**
 * Splits a stream into events. Comments (`: keepalive`) and `retry` are read and ignored; an event with no data
 * line is not dispatched, as the standard says; a UTF-8 byte order mark at the very start is skipped.
 */
export class SseParser {
  #buffer = '';
  #started = false;
  /** The previous chunk ended with CR: a LF starting the next one belongs to that line break. */
  #afterCr = false;
  #event = '';
  #data: string[] = [];
  #hasData = false;
  #lastId = '';

  /**
   * Feeds the next piece of the body.
   * @param text Decoded text (a `TextDecoder` in stream mode keeps multi-byte characters whole).
   * @returns The events completed by this piece, in order.
   */
  push(text: string): SseEvent[] {
    if (text === '') return [];
    let chunk = text;
    if (!this.#started) {
      this.#started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.#afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.#afterCr = false;
    const events: SseEvent[] = [];
    const buffer = this.#buffer + chunk;
    let start = 0;
    for (;;) {
      const cr = buffer.indexOf('\r', start);
      const lf = buffer.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      const line = buffer.slice(start, end);
      start = end + 1;
      if (buffer[end] === '\r') {
        if (start === buffer.length) this.#afterCr = true;
        else if (buffer[start] === '\n') start++;
      }
      const event = this.#line(line);
      if (event !== null) events.push(event);
    }
    this.#buffer = buffer.slice(start);
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#data.push(value);
      this.#hasData = true;
    } else if (field === 'id' && !value.includes('\0')) this.#lastId = value;
    return null;
  }

  #dispatch(): SseEvent | null {
    const event = this.#event === '' ? 'message' : this.#event;
    const data = this.#data.join('\n');
    const had = this.#hasData;
    this.#event = '';
    this.#data = [];
    this.#hasData = false;
    return had ? { event, data, id: this.#lastId } : null;
  }
}
