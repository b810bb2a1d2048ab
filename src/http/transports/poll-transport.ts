// HTTP transports: the long-polling session transport: numbered outgoing queue, ack, held poll, session timeout.
import type { SessionTransport } from '../../realtime/index.ts';
import { errorAnswer, type RawAnswer } from './answers.ts';
import { DeadlineTimer } from './deadline-timer.ts';
import { joinFrames, pollAnswer } from './poll-answer.ts';

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
  /**
   * Unacknowledged messages, as the encoded text that goes into an answer as it is, from index `#head` on: parallel
   * arrays (no object per message), numbered consecutively, `#frames[#head]` being `#lastSeq - #queued + 1`.
   */
  #frames: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #lastSeq = 0;
  #bytes = 0;
  /** The poll held, and its ack (no object per poll). */
  #held: PollWaiter | null = null;
  #heldAck = 0;
  #closed: { readonly code: number; readonly reason: string } | null = null;
  /**
   * The poll timeout while a poll is held, else the session timeout: one deadline, as exactly one of them runs at a
   * time (until the session finishes).
   */
  readonly #deadline = new DeadlineTimer(() => this.#deadlinePassed());
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
    this.#deadline.arm(limits.sessionTimeoutMs);
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
    this.#frames.push(text);
    this.#sizes.push(bytes);
    this.#lastSeq++;
    this.#bytes += bytes;
    if (this.#queued > this.#limits.maxQueuedMessages && !this.#overflowed) {
      this.#overflowed = true;
      this.#events.overflow();
    }
    this.#scheduleFlush();
    return true;
  }

  /** Drops the unacknowledged messages, so a slow consumer being dropped reads the close at once. */
  discardQueued(): void {
    this.#clearQueue();
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
    const older = this.#held;
    if (older !== null) {
      this.#held = null;
      older.answer(pollAnswer(this.#heldAck, null, null));
    }
    if (this.#queued > 0 || this.#closed !== null) {
      this.#answer(waiter, ack);
      return;
    }
    this.#held = waiter;
    this.#heldAck = ack;
    this.#deadline.arm(this.#limits.pollTimeoutMs);
  }

  /**
   * The client of a held poll went away: the session timeout runs again.
   * @param waiter The poll's waiter.
   */
  pollAborted(waiter: PollWaiter): void {
    if (this.#held === null || this.#held !== waiter) return;
    this.#held = null;
    this.#deadline.arm(this.#limits.sessionTimeoutMs);
  }

  /**
   * The client ended the session: a poll still held gets the close, then the session is forgotten.
   * @param code The close code the held poll reports.
   */
  end(code: number): void {
    if (this.#finished) return;
    this.#closed ??= { code, reason: '' };
    this.#answerHeld();
    this.#finish();
  }

  /** Ends everything at once (the server stops): a session still open ends (1006), a held poll gets the close. */
  dispose(): void {
    if (this.#finished) return;
    if (this.#closed === null) {
      this.#closed = { code: 1006, reason: '' };
      this.#events.expired();
    }
    this.#answerHeld();
    this.#finish();
  }

  /** Messages queued (unacknowledged). */
  get #queued(): number {
    return this.#frames.length - this.#head;
  }

  #clearQueue(): void {
    this.#frames = [];
    this.#sizes = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #forget(ack: number): void {
    // Every message up to `ack` is acknowledged: those numbered `#lastSeq - queued + 1 … ack` leave.
    const n = Math.min(this.#queued, ack - (this.#lastSeq - this.#queued));
    if (n <= 0) return;
    if (n === this.#queued) {
      this.#clearQueue();
      return;
    }
    const end = this.#head + n;
    for (let i = this.#head; i < end; i++) this.#bytes -= this.#sizes[i]!;
    this.#head = end;
    // Compact once the acknowledged prefix is most of the arrays (amortized O(1) per message).
    if (this.#head >= 1024 && this.#head * 2 >= this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }

  #answer(waiter: PollWaiter, ack: number): void {
    // The messages after `ack` start at this index (ack is at least the last acknowledged: `#forget` ran).
    const first = this.#frames.length - (this.#lastSeq - ack);
    const start = Math.max(first, this.#head);
    const limit = Math.min(this.#frames.length, start + this.#limits.maxMessagesPerAnswer);
    let bytes = 0;
    let end = start;
    for (; end < limit; end++) {
      const size = this.#sizes[end]!;
      if (end > start && bytes + size > MAX_ANSWER_BYTES) break;
      bytes += size;
    }
    const last = end === this.#frames.length ? this.#closed : null;
    const seq = end === start ? ack : this.#lastSeq - (this.#frames.length - end);
    waiter.answer(pollAnswer(seq, end === start ? null : joinFrames(this.#frames, start, end), last));
    if (last !== null) this.#finish();
    else this.#deadline.arm(this.#limits.sessionTimeoutMs);
  }

  /** Answers the poll held, if any, with what is queued. */
  #answerHeld(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
    this.#answer(held, this.#heldAck);
  }

  /** The deadline passed: a held poll is answered empty (the session timeout starts), else the session ends. */
  #deadlinePassed(): void {
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      held.answer(pollAnswer(this.#heldAck, null, null));
      this.#deadline.arm(this.#limits.sessionTimeoutMs);
      return;
    }
    if (this.#finished) return;
    if (this.#closed === null) this.#events.expired();
    this.#finish();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#held === null) return;
    this.#flushScheduled = true;
    // Messages sent in the same turn leave in one answer. One immediate for every session with messages this turn
    // (a fan-out reaches thousands at once), not one immediate and closure each.
    PollTransport.#toFlush.push(this);
    if (PollTransport.#toFlush.length === 1) setImmediate(PollTransport.#flushAll);
  }

  /** Sessions whose held poll is to be answered once this turn ends, in the order their first message came. */
  static #toFlush: PollTransport[] = [];

  static #flushAll(): void {
    const due = PollTransport.#toFlush;
    PollTransport.#toFlush = [];
    let i = 0;
    try {
      for (; i < due.length; i++) due[i]!.#flush();
    } finally {
      // One answer that throws does not strand the sessions after it: they flush in the next turn.
      for (const transport of due.slice(i + 1)) {
        PollTransport.#toFlush.push(transport);
        if (PollTransport.#toFlush.length === 1) setImmediate(PollTransport.#flushAll);
      }
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#held === null) return;
    if (this.#queued === 0 && this.#closed === null) return;
    this.#answerHeld();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#deadline.stop();
    this.#clearQueue();
    this.#closed ??= { code: 1006, reason: '' };
    this.#events.finished();
  }
}
