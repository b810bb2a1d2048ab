// Node binding: ping bookkeeping and the heartbeat timer that terminates dead peers.
import { performance } from 'node:perf_hooks';
import { InvalidStateError } from '../protocol/index.ts';
import { Deadline, deadlineQueue, type DeadlineQueue } from './deadlines.ts';

/** A `ping()` awaiting its pong. */
interface PendingPing {
  readonly payload: Uint8Array;
  /** Position among every ping this tracker sent (heartbeats included), to settle older ones with a newer pong. */
  readonly seq: number;
  readonly sentAt: number;
  readonly resolve: (rttMs: number) => void;
  readonly reject: (err: Error) => void;
}

/** Pings awaiting a pong, per connection; beyond this many, `ping()` rejects. */
const MAX_PENDING_PINGS = 64;
/** Bytes of the counter payload of a heartbeat (or of a `ping()` without data). */
const COUNTER_BYTES = 4;

function noop(): void {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The 4-byte big-endian counter payload (a plain Uint8Array: the client core masks a `.slice()` of it, see plainView). */
function counterPayload(counter: number): Uint8Array {
  const payload = new Uint8Array(COUNTER_BYTES);
  payload[0] = counter >>> 24;
  payload[1] = (counter >>> 16) & 0xff;
  payload[2] = (counter >>> 8) & 0xff;
  payload[3] = counter & 0xff;
  return payload;
}

/** Whether `payload` is the counter payload of `counter`. */
function isCounter(payload: Uint8Array, counter: number): boolean {
  return (
    payload.length === COUNTER_BYTES &&
    ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0 === counter
  );
}

/**
 * Matches pongs to pings and runs the heartbeat. RFC 6455 §5.5.3 lets a peer answer only the
 * most recent of several pings, so a pong settles the ping it echoes and every ping sent before it.
 * The heartbeat sends a ping every `pingIntervalMs`; without a pong within `pongTimeoutMs` the
 * peer is considered dead and the connection is terminated (1006 locally).
 *
 * The heartbeat's deadlines live in the process-wide {@link DeadlineQueue} of each duration, with
 * the tracker itself as the list entry: an idle connection holds no Node timer and no closure. The
 * heartbeat's own ping is three numbers on the tracker (its counter, sequence and send time), not an
 * entry of the `ping()` list: between heartbeats an idle connection holds no array, payload or entry.
 *
 * The tracker is the first layer of the connection's binding (PingTracker, SocketOutput, FrameSender,
 * SocketBinding): one object per connection instead of four, about 100 bytes less per idle
 * connection (measured with bench/conn-heap.mjs). The subclass says how to ping and how to end.
 */
export abstract class PingTracker extends Deadline {
  /** Where the next heartbeat ping waits; null when the heartbeat is off. */
  readonly #interval: DeadlineQueue | null;
  readonly #timeout: DeadlineQueue;
  /** `ping()` calls awaiting a pong, oldest first; null while there is none. */
  #pending: PendingPing[] | null = null;
  /** Pings sent so far (heartbeats included): the sequence of the last one. */
  #seq = 0;
  /** The sequence of the heartbeat ping awaiting its pong; 0 when none is. */
  #heartbeatSeq = 0;
  /** The counter that heartbeat ping carries. */
  #heartbeatCounter = 0;
  #heartbeatSentAt = 0;
  #counter = 0;
  #stopped = false;
  #lastRttMs: number | null = null;

  /** @param options - `pingIntervalMs` (0 disables the heartbeat) and `pongTimeoutMs` */
  constructor(options: { pingIntervalMs: number; pongTimeoutMs: number }) {
    super();
    this.#interval = options.pingIntervalMs > 0 ? deadlineQueue(options.pingIntervalMs) : null;
    this.#timeout = deadlineQueue(options.pongTimeoutMs);
  }

  /** The last round-trip time measured by any ping, in milliseconds; null before the first pong. */
  get lastRttMs(): number | null {
    return this.#lastRttMs;
  }

  /** Queues a ping frame with `payload` (at most 125 bytes). */
  protected abstract sendPingFrame(payload: Uint8Array): void;

  /** No pong within `pongTimeoutMs`: destroy the connection without a close handshake. */
  protected abstract peerDead(): void;

  /** A heartbeat's pong arrived after `rttMs`. */
  protected abstract heartbeatRtt(rttMs: number): void;

  /** Starts the heartbeat (no-op when the interval is 0). */
  startHeartbeat(): void {
    if (this.#interval !== null && !this.#stopped) this.#interval.arm(this);
  }

  /** @internal The heartbeat's deadline passed: ping, or terminate a peer that did not answer the last ping. */
  onDeadline(): void {
    if (this.#stopped) return;
    if (this.#heartbeatSeq !== 0) {
      // No pong within pongTimeoutMs: the peer is gone or stuck mid-frame (RX-03, RX-05).
      this.peerDead();
      return;
    }
    this.#counter = (this.#counter + 1) >>> 0;
    this.#heartbeatCounter = this.#counter;
    this.#heartbeatSeq = ++this.#seq;
    this.#heartbeatSentAt = performance.now();
    this.sendPingFrame(counterPayload(this.#counter));
    this.#timeout.arm(this);
  }

  /**
   * Sends a ping and resolves with the round-trip time when its pong (or a later one) arrives.
   * The returned promise is marked handled, so an ignored ping never becomes an unhandled rejection.
   * @param data - payload, at most 125 bytes; a 4-byte counter when omitted
   * @throws RangeError when `data` is longer than 125 bytes
   */
  ping(data?: Uint8Array): Promise<number> {
    if (this.#stopped) return Promise.reject(new InvalidStateError('Cannot ping: connection closed'));
    if (data !== undefined && data.length > 125) throw new RangeError('Cannot ping: payload longer than 125 bytes');
    let payload = data;
    if (payload === undefined) {
      this.#counter = (this.#counter + 1) >>> 0;
      payload = counterPayload(this.#counter);
    }
    let resolve!: (v: number) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(noop);
    this.sendPingFrame(payload);
    this.#pending ??= [];
    const pending = this.#pending;
    pending.push({ payload, seq: ++this.#seq, sentAt: performance.now(), resolve, reject });
    while (pending.length > MAX_PENDING_PINGS) {
      pending.shift()!.reject(new InvalidStateError('Cannot match pong: too many pings in flight'));
    }
    return promise;
  }

  /** Settles the ping that `payload` echoes and every earlier one (RFC 6455 §5.5.3). Unsolicited pongs are ignored. */
  pong(payload: Uint8Array): void {
    const pending = this.#pending;
    let index = -1;
    if (pending !== null) {
      for (let i = 0; i < pending.length; i++) {
        if (sameBytes(pending[i]!.payload, payload)) {
          index = i;
          break;
        }
      }
    }
    const heartbeatSeq = this.#heartbeatSeq;
    const heartbeat = heartbeatSeq !== 0 && isCounter(payload, this.#heartbeatCounter);
    // The oldest ping the pong echoes decides; every ping sent before it is settled with it.
    let upTo: number;
    let sentAt: number;
    if (index >= 0 && (!heartbeat || pending![index]!.seq < heartbeatSeq)) {
      upTo = pending![index]!.seq;
      sentAt = pending![index]!.sentAt;
    } else if (heartbeat) {
      upTo = heartbeatSeq;
      sentAt = this.#heartbeatSentAt;
    } else return;
    const now = performance.now();
    // The echoed ping is the newest one settled: its round trip is the latest measured.
    this.#lastRttMs = now - sentAt;
    if (heartbeatSeq !== 0 && heartbeatSeq <= upTo) {
      const rtt = now - this.#heartbeatSentAt;
      this.#heartbeatSeq = 0;
      this.heartbeatRtt(rtt);
      if (!this.#stopped && this.#interval !== null) this.#interval.arm(this);
    }
    if (pending === null) return;
    let settled = 0;
    while (settled < pending.length && pending[settled]!.seq <= upTo) settled++;
    if (settled === 0) return;
    const answered = pending.splice(0, settled);
    if (pending.length === 0) this.#pending = null;
    for (const p of answered) p.resolve(now - p.sentAt);
  }

  /** Stops the heartbeat and rejects every pending `ping()` (the connection closed). */
  stopPings(): void {
    this.#stopped = true;
    this.#heartbeatSeq = 0;
    this.armedIn?.cancel(this);
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    for (const p of pending) p.reject(new InvalidStateError('Cannot receive pong: connection closed'));
  }
}
