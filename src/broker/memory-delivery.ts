// Broker: the MemoryBroker's synchronous delivery queue. Every event goes through one queue, so events reach every
// handler in publish order even when a handler publishes from inside its callback.
import type { ChannelEvent, ChannelHandler } from './types.ts';

/**
 * A channel's handlers: none, the only one as is (most channels have one: the hub's), or a set from the second on (a
 * set costs about 150 bytes more than the one handler).
 */
export type Handlers = ChannelHandler | Set<ChannelHandler> | null;

/** One queue of (handler, event) pairs, drained in order by the first `deliver` call on the stack. */
export class DeliveryQueue {
  readonly #queue: [ChannelHandler, ChannelEvent][] = [];
  #delivering = false;
  readonly #onHandlerError: (cause: unknown) => void;

  /** @param onHandlerError Told what a throwing handler threw; the other handlers still get the event. */
  constructor(onHandlerError: (cause: unknown) => void) {
    this.#onHandlerError = onHandlerError;
  }

  /** Queues the event for each handler and, unless a delivery is already running, delivers the queue. */
  deliver(handlers: Handlers, event: ChannelEvent): void {
    if (typeof handlers === 'function') this.#queue.push([handlers, event]);
    else if (handlers !== null) for (const handler of handlers) this.#queue.push([handler, event]);
    if (this.#delivering) return; // the running loop below picks these up, in order
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const [handler, queued] = this.#queue[i]!;
        try {
          handler(queued);
        } catch (cause) {
          this.#onHandlerError(cause);
        }
      }
    } finally {
      this.#queue.length = 0;
      this.#delivering = false;
    }
  }

  /** Drops the queued events of a channel for a handler: none reaches it once it unsubscribed. */
  cancel(channel: string, handler: ChannelHandler): void {
    for (const entry of this.#queue) if (entry[0] === handler && channelOf(entry[1]) === channel) entry[0] = noop;
  }

  /** Forgets every queued event. */
  clear(): void {
    this.#queue.length = 0;
  }
}

function noop(): void {}

function channelOf(event: ChannelEvent): string {
  return event.type === 'publication' ? event.publication.channel : event.channel;
}
