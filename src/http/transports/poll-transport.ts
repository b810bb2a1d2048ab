// HTTP transports: the long-polling session transport: numbered outgoing queue, ack, held poll, session timeout.
import type { SessionTransport } from '../../realtime/index.ts';
import { errorAnswer, type RawAnswer } from './answers.ts';

/** Who waits for a poll's answer: the local response, or a node that forwarded the request. */
export interface PollWaiter {
  /**
   * Takes the answer (called at most once).
   * @param answer The poll's answer.
   */
  answer(answer: RawAnswer): void;
}

/** Timings and bounds of a {@link PollTransport}. */
export interface PollTransportLimits {
  /** How long a poll is held without messages before it is answered empty, in ms. */
  readonly pollTimeoutMs: number;
  /** How long the session lives with no poll held, in ms; then it ends (1006). */
  readonly sessionTimeoutMs: number;
  /** Unacknowledged messages held at most; one more and the session is closed as a slow consumer (4010). */
  readonly maxQueuedMessages: number;
  /** Messages in one poll answer at most (the rest come with the next poll). */
  readonly maxMessagesPerAnswer: number;
}

/**
 * Bytes of messages in one poll answer at most (one message bigger than this still goes, alone): an answer stays
 * bounded in memory, and on the broker when the poll was forwarded from another node.
 */
const MAX_ANSWER_BYTES = 1024 * 1024;

interface Queued {
  readonly seq: number;
  readonly frame: string;
  readonly bytes: number;
}

interface Held {
  readonly waiter: PollWaiter;
  readonly ack: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * A session's transport over long polls (docs/protocol.md § 15.3). Each server message gets the next sequence
 * number and stays queued until a poll acknowledges it, so a poll answer lost on the way is sent again. A poll is
 * held until there are messages or the poll timeout passes; a newer poll answers an older one still held, empty.
 * With no poll held for the session timeout, the session ends. Unacknowledged bytes are the buffered amount that
 * slow-consumer policies read.
 */
export class PollTransport implements SessionTransport {
  readonly remoteAddress: string;
  readonly kind = 'polling';
  /** JSON only: '' picks the JSON codec. */
  readonly protocol = '';
  readonly #limits: PollTransportLimits;
  readonly #events: {
    readonly expired: () => void;
    readonly overflow: () => void;
    readonly finished: () => void;
  };
  #queue: Queued[] = [];
  #lastSeq = 0;
  #bytes = 0;
  #held: Held | null = null;
  #closed: { readonly code: number; readonly reason: string } | null = null;
  #sessionTimer: ReturnType<typeof setTimeout> | null = null;
  #flushScheduled = false;
  #overflowed = false;
  #finished = false;

  /**
   * @param remoteAddress The client's address.
   * @param limits Timings and bounds.
   * @param events `expired`: no poll came for the session timeout (the session is to end with 1006); `overflow`: the
   *   queue passed its bound (the session is to close as a slow consumer); `finished`: the session's end was
   *   delivered, or nobody came for it: forget the session.
   */
  constructor(
    remoteAddress: string,
    limits: PollTransportLimits,
    events: { readonly expired: () => void; readonly overflow: () => void; readonly finished: () => void },
  ) {
    this.remoteAddress = remoteAddress;
    this.#limits = limits;
    this.#events = events;
    this.#armSessionTimer();
  }

  /** Unacknowledged bytes. */
  get bufferedAmount(): number {
    return this.#bytes;
  }

  /** The highest sequence number given so far (0 before the first message). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Queues one server message under the next sequence number.
   * @param frame The encoded message (text: JSON).
   * @returns false once the session ended.
   */
  send(frame: string | Uint8Array): boolean {
    if (this.#closed !== null) return false;
    const text = typeof frame === 'string' ? frame : Buffer.from(frame).toString('utf8');
    const bytes = Buffer.byteLength(text);
    this.#queue.push({ seq: ++this.#lastSeq, frame: text, bytes });
    this.#bytes += bytes;
    if (this.#queue.length > this.#limits.maxQueuedMessages && !this.#overflowed) {
      this.#overflowed = true;
      this.#events.overflow();
    }
    this.#scheduleFlush();
    return true;
  }

  /** Drops the unacknowledged messages, so a slow consumer being dropped reads the close at once. */
  discardQueued(): void {
    this.#queue = [];
    this.#bytes = 0;
  }

  /**
   * Ends the session: the next poll (or the one held) gets what is left and `close`.
   * @param code The close code.
   * @param reason The close reason.
   */
  close(code: number, reason: string): void {
    if (this.#closed !== null) return;
    this.#closed = { code, reason };
    this.#scheduleFlush();
  }

  /**
   * A poll arrived: forget what `ack` acknowledges, answer an older held poll empty, then answer at once or hold.
   * @param ack The highest sequence number the client processed.
   * @param waiter Who takes the answer.
   */
  poll(ack: number, waiter: PollWaiter): void {
    if (this.#finished) {
      waiter.answer(errorAnswer(404, 'unknown_session', 'The session has ended'));
      return;
    }
    if (ack > this.#lastSeq) {
      waiter.answer(errorAnswer(400, 'bad_request', `ack ${ack} is past the last message sent (${this.#lastSeq})`));
      return;
    }
    this.#forget(ack);
    this.#clearSessionTimer();
    const older = this.#held;
    if (older !== null) {
      this.#held = null;
      clearTimeout(older.timer);
      older.waiter.answer(pollAnswer(older.ack, [], null));
    }
    if (this.#queue.some((q) => q.seq > ack) || this.#closed !== null) {
      this.#answer(waiter, ack);
      return;
    }
    const timer = setTimeout(() => {
      if (this.#held?.waiter !== waiter) return;
      this.#held = null;
      waiter.answer(pollAnswer(ack, [], null));
      this.#armSessionTimer();
    }, this.#limits.pollTimeoutMs);
    this.#held = { waiter, ack, timer };
  }

  /**
   * The client of a held poll went away: the session timeout runs again.
   * @param waiter The poll's waiter.
   */
  pollAborted(waiter: PollWaiter): void {
    const held = this.#held;
    if (held === null || held.waiter !== waiter) return;
    clearTimeout(held.timer);
    this.#held = null;
    this.#armSessionTimer();
  }

  /**
   * The client ended the session: a poll still held gets the close, then the session is forgotten.
   * @param code The close code the held poll reports.
   */
  end(code: number): void {
    if (this.#finished) return;
    this.#closed ??= { code, reason: '' };
    this.#clearSessionTimer();
    const held = this.#held;
    if (held !== null) {
      clearTimeout(held.timer);
      this.#held = null;
      this.#answer(held.waiter, held.ack);
    }
    this.#finish();
  }

  /** Ends everything at once (the server stops): a session still open ends (1006), a held poll gets the close. */
  dispose(): void {
    if (this.#finished) return;
    if (this.#closed === null) {
      this.#closed = { code: 1006, reason: '' };
      this.#events.expired();
    }
    this.#clearSessionTimer();
    const held = this.#held;
    if (held !== null) {
      clearTimeout(held.timer);
      this.#held = null;
      this.#answer(held.waiter, held.ack);
    }
    this.#finish();
  }

  #forget(ack: number): void {
    let n = 0;
    while (n < this.#queue.length && this.#queue[n]!.seq <= ack) this.#bytes -= this.#queue[n++]!.bytes;
    if (n > 0) this.#queue = this.#queue.slice(n);
  }

  #answer(waiter: PollWaiter, ack: number): void {
    const pending = this.#queue.filter((q) => q.seq > ack);
    const sent: Queued[] = [];
    let bytes = 0;
    for (const q of pending) {
      if (sent.length >= this.#limits.maxMessagesPerAnswer) break;
      if (sent.length > 0 && bytes + q.bytes > MAX_ANSWER_BYTES) break;
      sent.push(q);
      bytes += q.bytes;
    }
    const last = sent.length === pending.length ? this.#closed : null;
    const seq = sent.length === 0 ? ack : sent[sent.length - 1]!.seq;
    waiter.answer(pollAnswer(seq, sent, last));
    if (last !== null) this.#finish();
    else this.#armSessionTimer();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#held === null) return;
    this.#flushScheduled = true;
    // Messages sent in the same turn leave in one answer.
    setImmediate(() => {
      this.#flushScheduled = false;
      const held = this.#held;
      if (held === null) return;
      if (!this.#queue.some((q) => q.seq > held.ack) && this.#closed === null) return;
      this.#held = null;
      clearTimeout(held.timer);
      this.#answer(held.waiter, held.ack);
    });
  }

  #armSessionTimer(): void {
    if (this.#finished) return;
    this.#clearSessionTimer();
    this.#sessionTimer = setTimeout(() => {
      this.#sessionTimer = null;
      if (this.#closed === null) this.#events.expired();
      this.#finish();
    }, this.#limits.sessionTimeoutMs);
  }

  #clearSessionTimer(): void {
    if (this.#sessionTimer !== null) clearTimeout(this.#sessionTimer);
    this.#sessionTimer = null;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearSessionTimer();
    this.#queue = [];
    this.#bytes = 0;
    this.#closed ??= { code: 1006, reason: '' };
    this.#events.finished();
  }
}

/**
 * The JSON of a poll answer, built from the encoded frames without parsing them again.
 * @param seq The number of the last message in it (the poll's `ack` when it holds none).
 * @param messages The messages, in order.
 * @param close The session's end, when this answer is its last.
 */
function pollAnswer(
  seq: number,
  messages: readonly Queued[],
  close: { readonly code: number; readonly reason: string } | null,
): RawAnswer {
  const closing = close === null ? '' : `,"close":${JSON.stringify({ code: close.code, reason: close.reason })}`;
  return { status: 200, body: `{"seq":${seq},"messages":[${messages.map((m) => m.frame).join(',')}]${closing}}` };
}
