// HTTP: the transport of a plain EventSource subscription: a session's server messages written as SSE events.
import type http from 'node:http';
import { DISCONNECT_INFO, DisconnectCode } from '../messages/index.ts';
import type { SessionTransport } from '../realtime/index.ts';
import { formatEventId, type SsePosition } from './sse-event-id.ts';

/** Why the setup of a stream failed: the protocol's error code and message, or the code the session ended with. */
export type SseSetupOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly disconnect?: number };

/** What {@link SseSubscriberStream} needs to know about the stream it writes. */
export interface SseStreamInit {
  readonly res: http.ServerResponse;
  readonly remoteAddress: string;
  /** The channels in the order of the `channel` parameters (the order of the event id's positions). */
  readonly channels: readonly string[];
  /** The `retry:` field: how long a browser waits before reconnecting, in milliseconds. */
  readonly retryMs: number;
  /** Period of the `: keepalive` comments, in milliseconds. */
  readonly keepaliveMs: number;
  /** Headers added to the 200 (CORS). */
  readonly headers: Readonly<Record<string, string>>;
  /** The stream ended (the client went away, or the server ended it): the session must learn of it. */
  readonly ended: (code: number, reason: string) => void;
}

/** A decoded server message, as far as this transport reads it. */
interface Message {
  readonly type: string;
  readonly re?: number;
  readonly channel?: string;
  readonly epoch?: string;
  readonly offset?: number;
  readonly code?: number | string;
  readonly message?: string;
  readonly reason?: string;
  readonly reconnect?: boolean;
  readonly recovered?: boolean;
  readonly publications?: readonly Item[];
  readonly snapshot?: readonly Item[];
  readonly conflated?: boolean;
}

/** A publication (or a tombstone) inside `subscribed`, `publications`, or a live `publication` without its `type`. */
interface Item {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly deleted?: boolean;
}

const PUBLICATION_PREFIX = '{"type":"publication",';
/** The setup outcome's code when the client went away before the stream opened. */
export const SETUP_GONE = 'gone';

/**
 * A live publication frame read once for all the streams it goes to: the fan-out hands the same frame string to every
 * subscriber in a row. A stream of one channel writes the same event as every other such stream (its id is the
 * publication's own position), so that event's bytes are built once too.
 */
class LivePublication {
  readonly item: Item;
  /** The event data: the message without its `type`. */
  readonly data: string;
  #single: Buffer | null = null;

  constructor(frame: string) {
    this.item = JSON.parse(frame) as Item;
    this.data = `{${frame.slice(PUBLICATION_PREFIX.length)}`;
  }

  /** The event of a one-channel stream, encoded once (optimisation: one UTF-8 encoding per frame, not per stream). */
  single(): Buffer {
    this.#single ??= Buffer.from(`id: ${this.item.epoch}:${this.item.offset}\ndata: ${this.data}\n\n`);
    return this.#single;
  }
}

let cachedFrame: string | null = null;
let cachedPublication: LivePublication | null = null;

/**
 * Reads a live `publication` frame, once per frame.
 * @param frame The frame as the JSON codec encoded it (`type` first).
 */
function readPublication(frame: string): LivePublication {
  if (frame === cachedFrame && cachedPublication !== null) return cachedPublication;
  cachedPublication = new LivePublication(frame);
  cachedFrame = frame;
  return cachedPublication;
}

function withoutType(message: Record<string, unknown>): string {
  const { type: _type, ...rest } = message;
  return JSON.stringify(rest);
}

/**
 * The session transport of `GET /sse` (docs/protocol.md § 15.4). While the session connects and subscribes (the
 * setup), nothing is written: a refusal can still be an HTTP status. Once every channel is subscribed, it writes the
 * 200, `retry:`, a `subscribed` event per channel and what arrived meanwhile; then every publication as an unnamed
 * event whose `id` lists each channel's position, so that `Last-Event-ID` resumes all of them.
 */
export class SseSubscriberStream implements SessionTransport {
  readonly protocol = '';
  readonly remoteAddress: string;
  /** Resolves when the setup succeeded (the stream is open) or failed (nothing written yet). */
  readonly setup: Promise<SseSetupOutcome>;
  readonly #init: SseStreamInit;
  readonly #res: http.ServerResponse;
  readonly #index = new Map<string, number>();
  readonly #positions: (SsePosition | null)[];
  #state: 'setup' | 'live' | 'ended' = 'setup';
  /** Messages of the setup, in arrival order, written when it completes. */
  #queued: Message[] = [];
  #subscribed = 0;
  #settle: (outcome: SseSetupOutcome) => void = () => {};
  #keepalive: ReturnType<typeof setInterval> | null = null;
  /** Whether `ended` was called. */
  #reported = false;

  /** @param init The response, the channels, the timings and the end callback. */
  constructor(init: SseStreamInit) {
    this.#init = init;
    this.#res = init.res;
    this.remoteAddress = init.remoteAddress;
    for (const [i, channel] of init.channels.entries()) this.#index.set(channel, i);
    this.#positions = init.channels.map(() => null);
    this.setup = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#res.on('close', () => this.#closed());
  }

  /** Bytes written to the response and not yet sent: the slow-consumer bound reads it. */
  get bufferedAmount(): number {
    return this.#res.writableLength;
  }

  /**
   * One encoded server message from the session.
   * @param frame Its JSON text.
   * @returns false once the stream has ended.
   */
  send(frame: string | Uint8Array): boolean {
    if (this.#state === 'ended' || typeof frame !== 'string') return false;
    if (this.#state === 'live' && frame.startsWith(PUBLICATION_PREFIX)) {
      const live = readPublication(frame);
      if (this.#positions.length > 1) this.#write(this.#event(live.item, live.data));
      else if (this.#advance(live.item)) this.#res.write(live.single());
      return true;
    }
    const message = JSON.parse(frame) as Message;
    if (this.#state === 'setup') this.#setupMessage(message);
    else this.#liveMessage(message);
    return true;
  }

  /**
   * The session ends the stream: after an `error` event (written when its `disconnect` came), the response ends; a
   * slow consumer's is cut at once, its backlog dropped (the browser reconnects with `Last-Event-ID` and recovers).
   * @param code The session's close code.
   */
  close(code: number): void {
    if (this.#state === 'ended') return;
    const live = this.#state === 'live';
    this.#end();
    if (!live) return;
    if (code === DisconnectCode.SLOW_CONSUMER) this.#res.destroy();
    else this.#res.end();
  }

  #setupMessage(message: Message): void {
    if (message.type === 'error' && message.re !== undefined) {
      this.#fail({ ok: false, code: String(message.code), message: message.message ?? '' });
      return;
    }
    if (message.type === 'disconnect') {
      const code = Number(message.code);
      const info = (DISCONNECT_INFO as Readonly<Record<number, { reason: string } | undefined>>)[code];
      this.#fail({ ok: false, code: 'disconnected', message: message.reason ?? info?.reason ?? '', disconnect: code });
      return;
    }
    if (message.type === 'subscribed') {
      this.#subscribed++;
      const i = this.#index.get(message.channel ?? '');
      const first = message.publications?.[0];
      if (i !== undefined)
        this.#positions[i] = {
          epoch: message.epoch ?? '',
          offset: first === undefined ? (message.offset ?? 0) : first.offset - 1,
        };
    }
    if (message.type === 'connected') return;
    this.#queued.push(message);
    if (this.#subscribed === this.#init.channels.length) this.#open();
  }

  #fail(outcome: SseSetupOutcome): void {
    if (this.#state !== 'setup') return;
    this.#end();
    this.#settle(outcome);
  }

  #open(): void {
    this.#state = 'live';
    const res = this.#res;
    // The body ends with the connection (RFC 9112 § 6.3 rule 8), not with chunked framing: a stream is never followed
    // by another response on its connection, and each event is then one socket write instead of three (optimisation:
    // half the server CPU per delivered event with 1000 streams, 7 runs each; the browser reconnects either way).
    res.removeHeader('Transfer-Encoding');
    res.writeHead(200, {
      Connection: 'close',
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      ...this.#init.headers,
    });
    const queued = this.#queued;
    this.#queued = [];
    res.cork();
    res.write(`retry: ${this.#init.retryMs}\n\n`);
    for (const message of queued) this.#liveMessage(message);
    res.uncork();
    this.#keepalive = setInterval(() => res.write(': keepalive\n\n'), this.#init.keepaliveMs);
    this.#keepalive.unref();
    this.#settle({ ok: true });
  }

  #liveMessage(message: Message): void {
    const res = this.#res;
    switch (message.type) {
      case 'publication': {
        const { type: _type, ...item } = message as unknown as Item & { type: string };
        this.#write(this.#event(item, JSON.stringify(item)));
        return;
      }
      case 'publications':
        for (const item of message.publications ?? []) this.#write(this.#event(item, JSON.stringify(item)));
        return;
      case 'subscribed': {
        const { publications = [], re: _re, ...rest } = message;
        const data = withoutType(rest as Record<string, unknown>);
        res.write(`event: subscribed\nid: ${formatEventId(this.#positions)}\ndata: ${data}\n\n`);
        for (const item of publications) this.#write(this.#event(item, JSON.stringify(item)));
        const i = this.#index.get(message.channel ?? '');
        if (i !== undefined) this.#positions[i] = { epoch: message.epoch ?? '', offset: message.offset ?? 0 };
        return;
      }
      case 'deleted':
        res.write(`event: deleted\ndata: ${withoutType({ ...message })}\n\n`);
        return;
      case 'unsubscribed':
        // A subscription the server ended (a permission revoked): a stream follows all its channels or none.
        res.write(
          `event: error\ndata: ${JSON.stringify({ code: message.code, channel: message.channel, message: message.reason ?? '', reconnect: false })}\n\n`,
        );
        this.#end();
        res.end();
        this.#report(DisconnectCode.FORBIDDEN, 'subscription ended');
        return;
      case 'disconnect':
        if (message.code !== DisconnectCode.SLOW_CONSUMER)
          res.write(
            `event: error\ndata: ${JSON.stringify({ code: message.code, message: message.reason ?? '', reconnect: message.reconnect ?? false })}\n\n`,
          );
        return;
      default:
        // connected, replies, presence and typing events: not part of a plain subscription.
        return;
    }
  }

  /**
   * One publication (or tombstone) event, its position recorded first so that its `id` includes it.
   * @returns The event's text; empty for a publication at or below the channel's position (already delivered).
   */
  #event(item: Item, data: string): string {
    if (!this.#advance(item)) return '';
    const id = formatEventId(this.#positions);
    return item.deleted === true ? `event: deleted\nid: ${id}\ndata: ${data}\n\n` : `id: ${id}\ndata: ${data}\n\n`;
  }

  /**
   * Records a publication's position as its channel's.
   * @returns false for a publication at or below the channel's position (already delivered) or of another channel.
   */
  #advance(item: Item): boolean {
    const i = this.#index.get(item.channel);
    if (i === undefined) return false;
    const at = this.#positions[i];
    if (at !== null && at !== undefined && at.epoch === item.epoch && item.offset <= at.offset) return false;
    this.#positions[i] = { epoch: item.epoch, offset: item.offset };
    return true;
  }

  /** Writes an event, skipping the empty text of a publication already delivered. */
  #write(event: string): void {
    if (event !== '') this.#res.write(event);
  }

  #end(): void {
    this.#state = 'ended';
    if (this.#keepalive !== null) clearInterval(this.#keepalive);
    this.#keepalive = null;
    this.#queued = [];
  }

  #closed(): void {
    const wasSetup = this.#state === 'setup';
    if (this.#state !== 'ended') this.#end();
    if (wasSetup) this.#settle({ ok: false, code: SETUP_GONE, message: 'The client went away' });
    this.#report(1006, '');
  }

  #report(code: number, reason: string): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#init.ended(code, reason);
  }
}
