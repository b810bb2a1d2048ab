// Node binding: many deadlines of one duration behind one Node timer (heartbeats, handshakes), instead of a Timeout per connection.
import { performance } from 'node:perf_hooks';

/**
 * @internal Something with a deadline in a {@link DeadlineQueue}: the links live on the object
 * itself, so arming costs no allocation (a Node `Timeout` and its callback closure cost ~250 bytes
 * per connection for as long as the connection lives).
 */
export abstract class Deadline {
  /** @internal */
  deadlinePrev: Deadline | null = null;
  /** @internal */
  deadlineNext: Deadline | null = null;
  /** @internal The queue this entry is armed in, or null. */
  armedIn: DeadlineQueue | null = null;
  /** @internal When the deadline passes (whole ms of `performance.now()`). */
  deadlineAt = 0;

  /** The deadline passed. The entry is already unlinked and may re-arm itself. */
  abstract onDeadline(): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function now(): number {
  return Math.floor(performance.now());
}

/**
 * @internal Deadlines that all have the same duration, so arming in time order keeps the list
 * sorted: arming appends, cancelling unlinks, both O(1). One unref'd Node timer waits for the
 * head; removing the head does not touch it (it fires, finds nothing due, and waits again).
 * This is the scheme of Node's own timer lists, with the entries being the connections' own objects.
 */
export class DeadlineQueue {
  readonly ms: number;
  #head: Deadline | null = null;
  #tail: Deadline | null = null;
  #timer: NodeJS.Timeout | null = null;

  /** @param ms - the duration of every deadline in this queue */
  constructor(ms: number) {
    this.ms = ms;
  }

  /** Arms `entry` for `ms` from now, moving it out of any queue it is armed in. */
  arm(entry: Deadline): void {
    if (entry.armedIn !== null) entry.armedIn.cancel(entry);
    entry.deadlineAt = now() + this.ms;
    entry.armedIn = this;
    const tail = this.#tail;
    entry.deadlinePrev = tail;
    entry.deadlineNext = null;
    if (tail === null) this.#head = entry;
    else tail.deadlineNext = entry;
    this.#tail = entry;
    if (this.#timer === null) this.#schedule(this.ms);
  }

  /** Disarms `entry` (no-op unless it is armed here). */
  cancel(entry: Deadline): void {
    if (entry.armedIn !== this) return;
    const prev = entry.deadlinePrev;
    const next = entry.deadlineNext;
    if (prev === null) this.#head = next;
    else prev.deadlineNext = next;
    if (next === null) this.#tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
    entry.armedIn = null;
  }

  #schedule(ms: number): void {
    // Node turns a delay above 2^31 - 1 ms into 1 ms: a long deadline is reached in several waits.
    const timer = setTimeout(this.#fire, Math.min(ms, MAX_TIMER_MS));
    timer.unref();
    this.#timer = timer;
  }

  readonly #fire = (): void => {
    this.#timer = null;
    const t = now();
    let head = this.#head;
    while (head !== null && head.deadlineAt <= t) {
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
    if (head !== null) this.#schedule(Math.max(1, head.deadlineAt - t));
  };
}

const queues = new Map<number, DeadlineQueue>();

/** @internal The process-wide queue for deadlines of `ms` milliseconds. */
export function deadlineQueue(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = new DeadlineQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
}
