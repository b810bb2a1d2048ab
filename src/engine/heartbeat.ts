// Node binding: ping bookkeeping and the heartbeat timer that terminates dead peers.
import { performance } from 'node:perf_hooks';
import { InvalidStateError } from '../protocol/index.ts';
import { Deadline, deadlineQueue, type DeadlineQueue } from './deadlines.ts';

/** What the tracker needs from its connection. */
export interface PingHost {
  /** Queues a ping frame with `payload` (at most 125 bytes). */
  sendPing(payload: Uint8Array): void;
  /** Destroys the connection without a close handshake. */
  terminate(): void;
  /** A heartbeat pong arrived after `rttMs`. */
  rtt(rttMs: number): void;
}

interface PendingPing {
  readonly payload: Uint8Array;
  readonly sentAt: number;
  readonly resolve: ((rttMs: number) => void) | null;
  readonly reject: ((err: Error) => void) | null;
}

/** Pings awaiting a pong, per connection; beyond this many, `ping()` rejects. */
const MAX_PENDING_PINGS = 64;

function noop(): void {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Matches pongs to pings and runs the heartbeat. RFC 6455 §5.5.3 lets a peer answer only the
 * most recent of several pings, so a pong settles the ping it echoes and every ping sent before it.
 * The heartbeat sends a ping every `pingIntervalMs`; without a pong within `pongTimeoutMs` the
 * peer is considered dead and the connection is terminated (1006 locally).
 *
 * The heartbeat's deadlines live in the process-wide {@link DeadlineQueue} of each duration, with
 * the tracker itself as the list entry: an idle connection holds no Node timer and no closure.
 */
export class PingTracker extends Deadline {
  readonly #host: PingHost;
  /** Where the next heartbeat ping waits; null when the heartbeat is off. */
  readonly #interval: DeadlineQueue | null;
  readonly #timeout: DeadlineQueue;
  /** Pings awaiting a pong, oldest first; null until the first ping. */
  #pending: PendingPing[] | null = null;
  #heartbeatPayload: Uint8Array | null = null;
  #counter = 0;
  #stopped = false;
  #lastRttMs: number | null = null;

  /**
   * @param host - the connection
   * @param options - `pingIntervalMs` (0 disables the heartbeat) and `pongTimeoutMs`
   */
  constructor(host: PingHost, options: { pingIntervalMs: number; pongTimeoutMs: number }) {
    super();
    this.#host = host;
    this.#interval = options.pingIntervalMs > 0 ? deadlineQueue(options.pingIntervalMs) : null;
    this.#timeout = deadlineQueue(options.pongTimeoutMs);
  }

  /** The last round-trip time measured by any ping, in milliseconds; null before the first pong. */
  get lastRttMs(): number | null {
    return this.#lastRttMs;
  }

  /** Starts the heartbeat (no-op when the interval is 0). */
  start(): void {
    if (this.#interval !== null && !this.#stopped) this.#interval.arm(this);
  }

  /** @internal The heartbeat's deadline passed: ping, or terminate a peer that did not answer the last ping. */
  onDeadline(): void {
    if (this.#stopped) return;
    if (this.#heartbeatPayload !== null) {
      // No pong within pongTimeoutMs: the peer is gone or stuck mid-frame (RX-03, RX-05).
      this.#host.terminate();
      return;
    }
    const payload = this.#nextPayload();
    this.#heartbeatPayload = payload;
    this.#push({ payload, sentAt: performance.now(), resolve: null, reject: null });
    this.#host.sendPing(payload);
    this.#timeout.arm(this);
  }

  #nextPayload(): Uint8Array {
    // A plain Uint8Array, not a Buffer: the client core masks a `.slice()` of it (see plainView in byte-views.ts).
    const payload = new Uint8Array(4);
    this.#counter = (this.#counter + 1) >>> 0;
    new DataView(payload.buffer).setUint32(0, this.#counter);
    return payload;
  }

  #push(ping: PendingPing): void {
    this.#pending ??= [];
    const pending = this.#pending;
    pending.push(ping);
    while (pending.length > MAX_PENDING_PINGS) {
      const old = pending.shift()!;
      old.reject?.(new InvalidStateError('Cannot match pong: too many pings in flight'));
    }
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
    const payload = data ?? this.#nextPayload();
    let resolve!: (v: number) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(noop);
    this.#host.sendPing(payload);
    this.#push({ payload, sentAt: performance.now(), resolve, reject });
    return promise;
  }

  /** Settles the ping that `payload` echoes and every earlier one (RFC 6455 §5.5.3). Unsolicited pongs are ignored. */
  pong(payload: Uint8Array): void {
    const pending = this.#pending;
    if (pending === null) return;
    let index = -1;
    for (let i = 0; i < pending.length; i++) {
      if (sameBytes(pending[i]!.payload, payload)) {
        index = i;
        break;
      }
    }
    if (index < 0) return;
    const now = performance.now();
    const answered = pending.splice(0, index + 1);
    for (const p of answered) {
      const rtt = now - p.sentAt;
      this.#lastRttMs = rtt;
      if (p.payload === this.#heartbeatPayload) {
        this.#heartbeatPayload = null;
        this.#host.rtt(rtt);
        if (!this.#stopped && this.#interval !== null) this.#interval.arm(this);
      }
      p.resolve?.(rtt);
    }
  }

  /** Stops the heartbeat and rejects every pending `ping()` (the connection closed). */
  stop(): void {
    this.#stopped = true;
    this.armedIn?.cancel(this);
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    for (const p of pending) p.reject?.(new InvalidStateError('Cannot receive pong: connection closed'));
  }
}
