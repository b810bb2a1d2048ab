// Client SDK (Node-free): the async iterators of a subscription: each reader gets every publication in order, with a
// bounded buffer so a reader that stops reading cannot exhaust memory, and the first reader also gets what the
// subscribe delivered before it started.
import type { PublicationMessage } from '../messages/core.ts';
import { ClientError } from './errors.ts';

/** The code a `for await` loop fails with when it falls `iteratorBuffer` publications behind. */
export const ITERATOR_OVERFLOW = 'overflow';

interface Reader {
  queue: PublicationMessage[];
  wake: (() => void) | null;
  error: ClientError | null;
  done: boolean;
}

/** The open `for await` readers of one subscription. */
export class PublicationStreams {
  readonly #readers = new Set<Reader>();
  readonly #channel: string;
  readonly #cap: number;
  /**
   * What the current subscribe delivered while no reader was open, kept for the first reader (so a loop started after
   * `await subscribe()` still gets the publications of the `subscribed` answer). Null when there is nothing to keep.
   */
  #backlog: PublicationMessage[] | null = null;

  /**
   * @param channel The channel, for the overflow message.
   * @param cap Publications a reader may hold unread before it fails with `overflow`; also the most the first reader
   *   finds waiting (beyond it the backlog is dropped and the first reader reads only newer publications).
   */
  constructor(channel: string, cap: number) {
    this.#channel = channel;
    this.#cap = cap;
  }

  /** A subscribe starts from idle: with no reader open, keep what it delivers for the first reader. */
  begin(): void {
    this.#backlog = this.#readers.size === 0 ? [] : null;
  }

  /** Hands a delivered publication to every reader (and to the backlog). */
  push(p: PublicationMessage): void {
    if (this.#backlog !== null) {
      if (this.#backlog.length >= this.#cap) this.#backlog = null;
      else this.#backlog.push(p);
    }
    for (const it of this.#readers) {
      if (it.done) continue;
      if (it.queue.length >= this.#cap) {
        it.error = new ClientError(
          ITERATOR_OVERFLOW,
          `Cannot buffer more than ${this.#cap} unread publications of "${this.#channel}"`,
        );
        it.done = true;
      } else it.queue.push(p);
      it.wake?.();
    }
  }

  /** The subscription ended: readers finish after their queue, with `error` when it ended by a refusal. */
  end(error: ClientError | null): void {
    this.#backlog = null;
    for (const it of this.#readers) this.#finish(it, error);
  }

  /**
   * A new reader: the backlog when it is the first reader since the subscribe, then the publications from now on.
   * @param start Called once the reader is registered (the subscription subscribes when idle); its rejection ends this
   *   reader with the error.
   */
  iterator(start?: () => Promise<unknown>): AsyncIterator<PublicationMessage> {
    const it: Reader = { queue: this.#backlog ?? [], wake: null, error: null, done: false };
    this.#backlog = null;
    this.#readers.add(it);
    const finish = (): IteratorReturnResult<undefined> => {
      this.#readers.delete(it);
      return { done: true, value: undefined };
    };
    start?.().catch((err: unknown) =>
      this.#finish(it, err instanceof ClientError ? err : new ClientError('protocol', String(err))),
    );
    return {
      next: async (): Promise<IteratorResult<PublicationMessage>> => {
        for (;;) {
          const value = it.queue.shift();
          if (value !== undefined) return { done: false, value };
          if (it.error !== null) {
            finish();
            throw it.error;
          }
          if (it.done) return finish();
          await new Promise<void>((resolve) => {
            it.wake = resolve;
          });
          it.wake = null;
        }
      },
      return: async () => finish(),
    };
  }

  #finish(it: Reader, error: ClientError | null): void {
    if (it.done) return;
    it.done = true;
    it.error = error;
    it.wake?.();
  }
}
