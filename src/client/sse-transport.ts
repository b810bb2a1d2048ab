// Client SDK (Node-free): the event-stream session (docs/protocol.md § 15.2) as a TransportSocket: a streamed
// `GET /http/stream` read as text/event-stream carries the server's messages, `POST /http/send` the client's.
import { RfcCloseCode } from '../messages/core.ts';
import { HttpSender } from './http-sender.ts';
import {
  endpoint,
  HttpSocket,
  ReadyState,
  refusalCode,
  requestInit,
  type HttpTransportConfig,
} from './http-transport.ts';
import { SseParser, type SseEvent } from './sse-parser.ts';

/** The `open` event's data. */
interface OpenData {
  readonly session?: unknown;
}

/** The `close` event's data. */
interface CloseData {
  readonly code?: unknown;
  readonly reason?: unknown;
}

/**
 * One event-stream session. `open` opens it (the session id is kept for the POSTs), each unnamed event is a server
 * message, a `close` event ends it with its code, and a stream that ends or breaks without one ends it with 1006.
 */
export class SseSocket extends HttpSocket {
  readonly #config: HttpTransportConfig;
  #sender: HttpSender | null = null;
  #closeEvent: { code: number; reason: string } | null = null;

  /** @param config Where and how to reach the server. */
  constructor(config: HttpTransportConfig) {
    super();
    this.#config = config;
    void this.#run();
  }

  send(data: string | Uint8Array): void {
    if (this.readyState === ReadyState.CONNECTING) throw new Error('Cannot send: the event stream is not open yet');
    if (this.readyState !== ReadyState.OPEN || this.#sender === null) return;
    if (typeof data !== 'string') throw new TypeError('Cannot send binary data over the event stream (JSON only)');
    this.#sender.send(data);
  }

  async #run(): Promise<void> {
    let code: number = RfcCloseCode.ABNORMAL_CLOSURE;
    let reason = 'stream_ended';
    try {
      const init = requestInit(this.#config, 'GET', this.aborter.signal);
      const response = await this.#config.fetch(endpoint(this.#config, '/http/stream'), {
        ...init,
        headers: { ...init.headers, Accept: 'text/event-stream' },
      });
      if (!response.ok || response.body === null) {
        await response.text().catch(() => '');
        this.finish(refusalCode(response.status), `http_${response.status}`);
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.readyState >= ReadyState.CLOSING) break;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          this.#event(event);
          if (this.readyState >= ReadyState.CLOSING || this.#closeEvent !== null) break;
        }
        if (this.#closeEvent !== null) {
          void reader.cancel().catch(() => {});
          break;
        }
      }
      if (this.#closeEvent !== null) ({ code, reason } = this.#closeEvent);
    } catch {
      reason = 'stream_failed';
    }
    this.#sender?.stop();
    // Closed from this side: close() reports its own code.
    if (this.readyState !== ReadyState.CLOSING) this.finish(code, reason);
  }

  #event(event: SseEvent): void {
    if (event.event === 'message') {
      this.deliver(event.data);
      return;
    }
    if (event.event === 'open') {
      const session = parse<OpenData>(event.data)?.session;
      if (typeof session !== 'string' || session === '') {
        this.#closeEvent = { code: RfcCloseCode.ABNORMAL_CLOSURE, reason: 'bad_open_event' };
        return;
      }
      this.#sender = new HttpSender(this.#config, session, this.aborter.signal, (status) => {
        this.aborter.abort();
        this.finish(status === null ? RfcCloseCode.ABNORMAL_CLOSURE : refusalCode(status), 'send_failed');
      });
      this.opened(session);
      return;
    }
    if (event.event === 'close') {
      const data = parse<CloseData>(event.data);
      this.#closeEvent = {
        code: typeof data?.code === 'number' ? data.code : RfcCloseCode.ABNORMAL_CLOSURE,
        reason: typeof data?.reason === 'string' ? data.reason : '',
      };
    }
    // Other named events are ignored (docs/protocol.md § 14: a client ignores what it does not know).
  }
}

/** JSON that should be an object, or null. */
function parse<T>(text: string): T | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}
