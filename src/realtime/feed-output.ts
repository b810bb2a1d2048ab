// Realtime: one connection's feed output: conflation of publications while its socket is behind, and outbound batches.
import type { Publication } from '../broker/index.ts';
import { toPublicationWire, type BatchedPublication, type ServerMessage } from '../messages/index.ts';
import type { RealtimeObserver } from './observer.ts';

/**
 * How often a connection holding conflated publications checks whether its socket drained, in milliseconds.
 * Polling (rather than a drain event the transport interface does not have) costs one timer per behind connection only.
 */
export const CONFLATION_POLL_MS = 10;

/** What the output needs from its session. */
export interface FeedOutputHost {
  /** Encodes and sends one message (counted by the session). */
  send(message: ServerMessage): void;
  /** Bytes queued on the transport and not yet written. */
  readonly transport: { readonly bufferedAmount: number };
  /** Whether the session ended. */
  readonly isClosed: boolean;
}

/** A channel's conflated publications: the newest per key, and how many older ones were replaced. */
interface Conflated {
  /** Key (the channel itself for publications without one) -> newest publication; map order is publish order. */
  readonly entries: Map<string, Publication>;
  skipped: number;
}

/**
 * Per-connection state of the feed namespaces' delivery. Conflation: while the socket is above its high-water mark,
 * publications of a conflated namespace are kept here, the newest per key (at most `maxKeys` per channel, the oldest
 * key evicted and counted as skipped); once the socket is back under the low-water mark they leave in offset order,
 * the first one of each channel carrying `skipped`. Batching: publications of a batching namespace wait here until
 * the end of the event-loop turn (or `maxDelayMs`, or `maxCount` of them) and leave in one `publications` frame.
 */
export class FeedOutput {
  readonly #host: FeedOutputHost;
  readonly #observer: Pick<RealtimeObserver, 'feedConflated' | 'feedBatchSent'>;
  readonly #conflated = new Map<string, Conflated>();
  #lowWaterBytes = 0;
  #poll: ReturnType<typeof setTimeout> | null = null;
  #batch: BatchedPublication[] = [];
  #batchTimer: ReturnType<typeof setTimeout> | null = null;
  #batchImmediate: ReturnType<typeof setImmediate> | null = null;

  /**
   * @param host The session.
   * @param observer Counts skipped publications and batches (metrics).
   */
  constructor(host: FeedOutputHost, observer: Pick<RealtimeObserver, 'feedConflated' | 'feedBatchSent'> = {}) {
    this.#host = host;
    this.#observer = observer;
  }

  /** Whether the channel has conflated publications waiting (later ones must queue behind them). */
  conflating(channel: string): boolean {
    return this.#conflated.has(channel);
  }

  /** Conflated publications held, all channels (tests and stats check it stays bounded). */
  get conflatedSize(): number {
    let n = 0;
    for (const c of this.#conflated.values()) n += c.entries.size;
    return n;
  }

  /** Publications waiting for the current batch. */
  get batchedSize(): number {
    return this.#batch.length;
  }

  /**
   * Keeps a publication instead of writing it (the socket is behind, or earlier ones of its channel wait).
   * @param publication The publication.
   * @param maxKeys Most keys kept per channel.
   * @param lowWaterBytes Buffered bytes under which the held publications are written.
   */
  conflate(publication: Publication, maxKeys: number, lowWaterBytes: number): void {
    let held = this.#conflated.get(publication.channel);
    if (held === undefined) {
      held = { entries: new Map(), skipped: 0 };
      this.#conflated.set(publication.channel, held);
    }
    const slot = publication.key ?? '';
    const before = held.skipped;
    if (held.entries.delete(slot)) held.skipped++;
    held.entries.set(slot, publication);
    for (const oldest of held.entries.keys()) {
      if (held.entries.size <= maxKeys) break;
      held.entries.delete(oldest);
      held.skipped++;
    }
    if (held.skipped > before) this.#observer.feedConflated?.(held.skipped - before);
    this.#lowWaterBytes = lowWaterBytes;
    this.#poll ??= setTimeout(() => this.#drain(), CONFLATION_POLL_MS);
  }

  /**
   * Adds a publication to the connection's current batch.
   * @param publication The publication.
   * @param maxCount Most publications per frame: reaching it sends the batch at once.
   * @param maxDelayMs How long the first one may wait (0: until the end of the event-loop turn).
   */
  batch(publication: Publication, maxCount: number, maxDelayMs: number): void {
    this.#batch.push(toPublicationWire(publication) as BatchedPublication);
    if (this.#batch.length >= maxCount) {
      this.flushBatch();
      return;
    }
    if (this.#batch.length > 1) return;
    if (maxDelayMs > 0) this.#batchTimer = setTimeout(() => this.flushBatch(), maxDelayMs);
    else this.#batchImmediate = setImmediate(() => this.flushBatch());
  }

  /** Sends the current batch now: one `publications` frame, or a plain `publication` when it holds one. */
  flushBatch(): void {
    if (this.#batchTimer !== null) clearTimeout(this.#batchTimer);
    if (this.#batchImmediate !== null) clearImmediate(this.#batchImmediate);
    this.#batchTimer = null;
    this.#batchImmediate = null;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    if (this.#host.isClosed) return;
    if (batch.length === 1) this.#host.send({ type: 'publication', ...batch[0]! });
    else this.#host.send({ type: 'publications', publications: batch });
    this.#observer.feedBatchSent?.(batch.length);
  }

  /** Forgets a channel's held publications (the subscription ended). */
  forget(channel: string): void {
    this.#conflated.delete(channel);
    if (this.#batch.length > 0) this.#batch = this.#batch.filter((p) => p.channel !== channel);
  }

  /** Drops everything and stops the timers (the session closed). */
  close(): void {
    this.#conflated.clear();
    this.#batch = [];
    for (const timer of [this.#poll, this.#batchTimer]) if (timer !== null) clearTimeout(timer);
    if (this.#batchImmediate !== null) clearImmediate(this.#batchImmediate);
    this.#poll = null;
    this.#batchTimer = null;
    this.#batchImmediate = null;
  }

  /** Writes the held publications once the socket is under the low-water mark, channel by channel. */
  #drain(): void {
    this.#poll = null;
    if (this.#host.isClosed) {
      this.close();
      return;
    }
    for (const [channel, held] of this.#conflated) {
      if (this.#host.transport.bufferedAmount > this.#lowWaterBytes) break;
      this.#conflated.delete(channel);
      const ordered = [...held.entries.values()].sort((a, b) => a.offset - b.offset);
      let skipped = held.skipped;
      for (const p of ordered) {
        const wire = toPublicationWire(p) as BatchedPublication;
        this.#host.send(skipped > 0 ? { type: 'publication', ...wire, skipped } : { type: 'publication', ...wire });
        skipped = 0;
      }
    }
    if (this.#conflated.size > 0) this.#poll = setTimeout(() => this.#drain(), CONFLATION_POLL_MS);
  }
}
