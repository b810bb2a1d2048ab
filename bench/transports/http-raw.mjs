// The lean load client's HTTP side (bench/transports/load.mjs): one keep-alive HTTP/1.1 connection on a raw `net`
// socket, one request at a time, a fixed request head written by hand and a minimal response parser (status,
// Content-Length or chunked body, handed on as it arrives). The same code reads Switchboard's and socket.io's
// answers, so both sides of a comparison pay the same client cost, and that cost stays far below `node:http`'s.
import net from 'node:net';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * A keep-alive connection to `127.0.0.1:port`.
 * `request()` sends one request; `onHead(status, headers)` gets the status and lower-cased headers, `onData(chunk)`
 * each piece of the (de-chunked) body as it arrives, `onEnd()` the end of the body. One request in flight at a time.
 */
export class RawHttp {
  /** @param {number} port @param {(err: Error) => void} onClose called once when the connection ends or fails */
  constructor(port, onClose) {
    this.port = port;
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.buf = null;
    /** @type {null | { onHead: Function, onData: Function, onEnd: Function }} */
    this.current = null;
    this.state = 'idle'; // idle | head | length | chunk-size | chunk-data | chunk-crlf | until-close
    this.remaining = 0;
    this.closed = false;
    this.socket.on('data', (chunk) => this.#read(chunk));
    const close = (err) => {
      if (this.closed) return;
      this.closed = true;
      const error = err ?? new Error('connection closed');
      // A body without a length ends with the connection; any other request in flight failed.
      if (this.current !== null && this.state === 'until-close') this.#finish();
      else if (this.current !== null) this.current.onError(error);
      onClose(error);
    };
    this.socket.on('error', close);
    this.socket.on('close', () => close());
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {string} extraHeaders lines each ending with \r\n
   * @param {string | null} body
   * @param {{ onHead?: (status: number, headers: Record<string, string>) => void, onData?: (chunk: Buffer) => void, onEnd?: () => void, onError?: (err: Error) => void }} handlers
   */
  request(method, path, extraHeaders, body, handlers) {
    if (this.current !== null) throw new Error(`a request is already in flight on this connection (${method} ${path})`);
    if (this.closed) throw new Error(`the connection is closed (${method} ${path})`);
    this.current = {
      onHead: handlers.onHead ?? noop,
      onData: handlers.onData ?? noop,
      onEnd: handlers.onEnd ?? noop,
      onError: handlers.onError ?? noop,
    };
    this.state = 'head';
    const len = body === null ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    this.socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\n${extraHeaders}${len}\r\n${body ?? ''}`,
    );
  }

  /** Sends a request and resolves with its status and whole body as a string; rejects when the connection ends first. */
  fetch(method, path, extraHeaders = '', body = null) {
    return new Promise((resolve, reject) => {
      let status = 0;
      const parts = [];
      this.request(method, path, extraHeaders, body, {
        onHead: (s) => {
          status = s;
        },
        onData: (c) => parts.push(c),
        onEnd: () => resolve({ status, body: Buffer.concat(parts).toString() }),
        onError: reject,
      });
    });
  }

  destroy() {
    this.closed = true;
    this.socket.destroy();
  }

  #read(chunk) {
    const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.buf = null;
    let off = 0;
    while (off < buf.length) {
      const cur = this.current;
      if (cur === null) throw new Error(`unexpected bytes from the server: ${buf.subarray(off, off + 80)}`);
      if (this.state === 'head') {
        const end = buf.indexOf(CRLFCRLF, off);
        if (end < 0) break;
        const lines = buf.subarray(off, end).toString('latin1').split('\r\n');
        const status = Number(lines[0].slice(9, 12));
        const headers = {};
        for (let i = 1; i < lines.length; i++) {
          const colon = lines[i].indexOf(':');
          headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
        }
        off = end + 4;
        cur.onHead(status, headers);
        if (headers['transfer-encoding'] === 'chunked') this.state = 'chunk-size';
        else if (headers['content-length'] !== undefined) {
          this.remaining = Number(headers['content-length']);
          this.state = 'length';
          if (this.remaining === 0) this.#finish();
        } else this.state = 'until-close';
      } else if (this.state === 'length' || this.state === 'chunk-data') {
        const take = Math.min(this.remaining, buf.length - off);
        cur.onData(buf.subarray(off, off + take));
        off += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          if (this.state === 'length') this.#finish();
          else this.state = 'chunk-crlf';
        }
      } else if (this.state === 'chunk-size') {
        const eol = buf.indexOf(10, off);
        if (eol < 0) break;
        const size = Number.parseInt(buf.subarray(off, eol).toString('latin1'), 16);
        off = eol + 1;
        if (size === 0) {
          // The last chunk: no trailers are expected, only the final CRLF.
          this.state = 'chunk-end';
        } else {
          this.remaining = size;
          this.state = 'chunk-data';
        }
      } else if (this.state === 'chunk-crlf' || this.state === 'chunk-end') {
        if (buf.length - off < 2) break;
        off += 2;
        if (this.state === 'chunk-end') this.#finish();
        else this.state = 'chunk-size';
      } else {
        cur.onData(buf.subarray(off));
        off = buf.length;
      }
    }
    if (off < buf.length) this.buf = buf.subarray(off);
  }

  #finish() {
    const cur = this.current;
    this.current = null;
    this.state = 'idle';
    cur.onEnd();
  }
}

function noop() {}

/**
 * Splits an event stream's text into events: calls `onEvent(name, data)` for each complete event (`name` is '' for an
 * unnamed event; several `data:` lines are joined by "\n"; comments are skipped). Returns the feeder.
 * @param {(name: string, data: string) => void} onEvent
 * @returns {(chunk: Buffer) => void}
 */
export function eventStreamParser(onEvent) {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString();
    let start = 0;
    for (;;) {
      const end = pending.indexOf('\n\n', start);
      if (end < 0) break;
      let name = '';
      let data = null;
      for (const line of pending.slice(start, end).split('\n')) {
        if (line.startsWith('data:')) {
          const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
          data = data === null ? value : `${data}\n${value}`;
        } else if (line.startsWith('event:')) name = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
      }
      if (data !== null) onEvent(name, data);
      start = end + 2;
    }
    pending = pending.slice(start);
  };
}
