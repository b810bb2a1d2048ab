// Client SDK (Node-free): the long-polling session (docs/protocol.md § 15.3) as a TransportSocket: `POST /http/poll`
// opens it, a loop of `GET /http/poll?ack=` brings the server's messages, `POST /http/send` carries the client's.
import { RfcCloseCode } from '../messages/core.ts';
import { HttpSender } from './http-sender.ts';
import {
  endpoint,
  HttpSocket,
  HttpStatus,
  ReadyState,
  refusalCode,
  requestInit,
  type HttpTransportConfig,
} from './http-transport.ts';

/** Polls in a row that may fail on the network (no answer at all) before the session is given up. */
export const MAX_POLL_FAILURES = 3;
/** Pause before polling again after a network failure, in ms, doubled on each further one. */
export const POLL_RETRY_MS = 250;

/** A poll's answer (docs/protocol.md § 15.3). */
interface PollAnswer {
  readonly session?: unknown;
  readonly seq?: unknown;
  readonly messages?: unknown;
  readonly close?: { readonly code?: unknown; readonly reason?: unknown } | null;
}

/**
 * One long-polling session. Each answer carries the messages numbered `seq - length + 1 … seq`; the next poll
 * acknowledges `seq`, so a poll cut on the way back loses nothing (the server sends those messages again) and a
 * message already processed is skipped by its number.
 */
export class PollingSocket extends HttpSocket {
  readonly #config: HttpTransportConfig;
  #sender: HttpSender | null = null;
  /** The highest message number processed. */
  #ack = 0;

  /** @param config Where and how to reach the server. */
  constructor(config: HttpTransportConfig) {
    super();
    this.#config = config;
    void this.#run();
  }

  send(data: string | Uint8Array): void {
    if (this.readyState === ReadyState.CONNECTING) throw new Error('Cannot send: the polling session is not open yet');
    if (this.readyState !== ReadyState.OPEN || this.#sender === null) return;
    if (typeof data !== 'string') throw new TypeError('Cannot send binary data over long-polling (JSON only)');
    this.#sender.send(data);
  }

  /**
   * Ends the session from this side, and tells the server (`DELETE /http/poll`, best effort, not waited for) so that
   * the session ends there at once rather than at its timeout.
   * @param code Reported in the close event. @default 1005 (no status)
   * @param reason Reported in the close event.
   */
  override close(code?: number, reason?: string): void {
    if (this.readyState === ReadyState.OPEN && this.session !== '') {
      const url = endpoint(this.#config, '/http/poll', { session: this.session });
      this.#sender?.stop();
      this.#config.fetch(url, requestInit(this.#config, 'DELETE', new AbortController().signal)).then(
        (response) => response.text(),
        () => {},
      );
    }
    super.close(code, reason);
  }

  async #run(): Promise<void> {
    const opened = await this.#request('POST', endpoint(this.#config, '/http/poll'), '{}');
    if (opened === null || opened === undefined) return;
    const session = opened.session;
    if (typeof session !== 'string' || session === '') {
      this.finish(RfcCloseCode.ABNORMAL_CLOSURE, 'bad_open_answer');
      return;
    }
    this.#sender = new HttpSender(this.#config, session, this.aborter.signal, (status) => {
      this.finish(status === null ? RfcCloseCode.ABNORMAL_CLOSURE : refusalCode(status), 'send_failed');
    });
    this.opened(session);
    if (!this.#answer(opened)) return;
    let failures = 0;
    while (this.readyState === ReadyState.OPEN) {
      const url = endpoint(this.#config, '/http/poll', { session, ack: String(this.#ack) });
      const answer = await this.#request('GET', url, undefined, failures + 1 < MAX_POLL_FAILURES);
      if (this.readyState !== ReadyState.OPEN) return;
      if (answer === undefined) {
        failures++;
        await new Promise<void>((resolve) =>
          this.#config.clock.setTimeout(resolve, POLL_RETRY_MS * 2 ** (failures - 1)),
        );
        continue;
      }
      if (answer === null || !this.#answer(answer)) return;
      failures = 0;
    }
  }

  /**
   * One request. Returns its JSON answer; null when the session ended (refused, or failed for good); undefined for a
   * network failure that may be retried (only when `retry`).
   */
  async #request(
    method: 'GET' | 'POST',
    url: string,
    body?: string,
    retry = false,
  ): Promise<PollAnswer | null | undefined> {
    try {
      const response = await this.#config.fetch(url, requestInit(this.#config, method, this.aborter.signal, body));
      const text = await response.text();
      if (this.readyState >= ReadyState.CLOSING) return null;
      if (response.status !== HttpStatus.OK) {
        this.finish(
          refusalCode(response.status),
          response.status === HttpStatus.NOT_FOUND ? 'unknown_session' : `http_${response.status}`,
        );
        return null;
      }
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null) throw new TypeError('not an object');
      return value as PollAnswer;
    } catch {
      if (this.readyState >= ReadyState.CLOSING) return null;
      if (retry) return undefined;
      this.finish(RfcCloseCode.ABNORMAL_CLOSURE, 'poll_failed');
      return null;
    }
  }

  /** Delivers an answer's new messages; false when it ended the session. */
  #answer(answer: PollAnswer): boolean {
    const seq = answer.seq;
    const messages = Array.isArray(answer.messages) ? answer.messages : null;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || messages === null) {
      this.finish(RfcCloseCode.ABNORMAL_CLOSURE, 'bad_poll_answer');
      return false;
    }
    const first = seq - messages.length + 1;
    for (let i = 0; i < messages.length; i++) {
      if (first + i <= this.#ack) continue;
      const message: unknown = messages[i];
      this.deliver(typeof message === 'string' ? message : JSON.stringify(message));
      if (this.readyState !== ReadyState.OPEN) return false;
    }
    this.#ack = Math.max(this.#ack, seq);
    const close = answer.close;
    if (close !== undefined && close !== null) {
      this.#sender?.stop();
      this.finish(
        typeof close.code === 'number' ? close.code : RfcCloseCode.ABNORMAL_CLOSURE,
        typeof close.reason === 'string' ? close.reason : '',
      );
      return false;
    }
    return true;
  }
}
