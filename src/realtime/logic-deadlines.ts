// Realtime: the deadlines of the calls waiting on the server logic. Every call has the same duration
// (`logicTimeoutMs`), so calls expire in the order they started: one insertion-ordered list swept by one timer
// replaces a Node timer and a `Promise.race` per call.
//
// Optimisation (bench/RESULTS.md, logic-notes): the timer and race per async hook call cost ~16 µs per publish;
// arming and cancelling here are a few field writes.

/** Something waiting on the logic with a deadline: the links live on the object, so arming allocates nothing. */
export abstract class LogicDeadline {
  /** @internal */
  deadlinePrev: LogicDeadline | null = null;
  /** @internal */
  deadlineNext: LogicDeadline | null = null;
  /** @internal Whether the entry is in a list. */
  armed = false;
  /** @internal When the deadline passes (`performance.now()` milliseconds). */
  deadlineAt = 0;

  /** The deadline passed; the entry is already out of the list. */
  abstract onDeadline(): void;
}

/**
 * Deadlines of one duration in arrival order: arming appends, cancelling unlinks (both O(1)). One timer waits for
 * the head; a cancelled head leaves the timer alone (it fires, finds nothing due, and waits for the new head). The
 * timer keeps the process alive only while the list holds a call, as a timer per call would. The list holds only
 * calls in flight, each for at most `ms`.
 */
export class LogicDeadlines {
  readonly #ms: number;
  #head: LogicDeadline | null = null;
  #tail: LogicDeadline | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** @param ms The duration of every deadline. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Arms `entry` for the duration from now (it must not be armed already). */
  arm(entry: LogicDeadline): void {
    entry.deadlineAt = performance.now() + this.#ms;
    entry.armed = true;
    const tail = this.#tail;
    entry.deadlinePrev = tail;
    entry.deadlineNext = null;
    if (tail === null) this.#head = entry;
    else tail.deadlineNext = entry;
    this.#tail = entry;
    if (this.#timer === null) this.#schedule(this.#ms);
    else if (tail === null) this.#timer.ref();
  }

  /** Disarms `entry` (no-op when it is not armed). */
  cancel(entry: LogicDeadline): void {
    if (!entry.armed) return;
    const prev = entry.deadlinePrev;
    const next = entry.deadlineNext;
    if (prev === null) this.#head = next;
    else prev.deadlineNext = next;
    if (next === null) this.#tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
    entry.armed = false;
    if (this.#head === null) this.#timer?.unref();
  }

  /** The entries armed now, oldest first (a copy: the caller may cancel or expire them while it walks it). */
  armedEntries(): LogicDeadline[] {
    const entries: LogicDeadline[] = [];
    for (let entry = this.#head; entry !== null; entry = entry.deadlineNext) entries.push(entry);
    return entries;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(this.#fire, ms);
  }

  readonly #fire = (): void => {
    this.#timer = null;
    const now = performance.now();
    let head = this.#head;
    while (head !== null && head.deadlineAt <= now) {
      this.cancel(head);
      try {
        head.onDeadline();
      } catch (err) {
        // One entry's failure must not strand the others: report it as an uncaught exception would be.
        process.nextTick(() => {
          throw err;
        });
      }
      head = this.#head;
    }
    if (head !== null) this.#schedule(Math.max(1, Math.ceil(head.deadlineAt - now)));
  };
}
