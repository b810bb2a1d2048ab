// Client SDK (Node-free): the async iterators of a subscription: each reader gets every publication in order, with a
// bounded buffer so a reader that stops reading cannot exhaust memory.
import type { PublicationMessage } from '../messages/core.ts';
import { ClientError } from './errors.ts';

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
   * @param channel The channel, for the overflow message.
   * @param cap Publications a reader may hold unread before it fails with `overflow`.
   */
  constructor(channel: string, cap: number) {
    this.#channel = channel;
    this.#cap = cap;
  }

  /** Hands a delivered publication to every reader. */
  push(p: PublicationMessage): void {
    for (const it of this.#readers) {
      if (it.queue.length >= this.#cap) {
        it.error = new ClientError('overflow', `Cannot buffer more than ${this.#cap} unread publications of "${this.#channel}"`);
        it.done = true;
      } else it.queue.push(p);
      it.wake?.();
    }
  }

  /** The subscription ended: readers finish after their queue, with `error` when it ended by a refusal. */
  end(error: ClientError | null): void {
    for (const it of this.#readers) {
      it.done = true;
      it.error ??= error;
      it.wake?.();
    }
  }

  /** A new reader of the publications from now on. */
  iterator(): AsyncIterator<PublicationMessage> {
    const it: Reader = { queue: [], wake: null, error: null, done: false };
    this.#readers.add(it);
    const finish = (): IteratorReturnResult<undefined> => {
      this.#readers.delete(it);
      return { done: true, value: undefined };
    };
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
          await new Promise<void>((resolve) => { it.wake = resolve; });
          it.wake = null;
        }
      },
      return: async () => finish(),
    };
  }
}
