// Node binding: ping bookkeeping and the heartbeat timer that terminates dead peers.
import { performance } from 'node:perf_hooks';
import { InvalidStateError } from '../protocol/index.ts';

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
 */
export class PingTracker {
  readonly #host: PingHost;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  #pending: PendingPing[] = [];
  #timer: NodeJS.Timeout | null = null;
  #heartbeatPayload: Uint8Array | null = null;
  #counter = 0;
  #stopped = false;
  #lastRttMs: number | null = null;

  /**
   * @param host - the connection
   * @param options - `pingIntervalMs` (0 disables the heartbeat) and `pongTimeoutMs`
   */
  constructor(host: PingHost, options: { pingIntervalMs: number; pongTimeoutMs: number }) {
    this.#host = host;
    this.#pingIntervalMs = options.pingIntervalMs;
    this.#pongTimeoutMs = options.pongTimeoutMs;
  }

  /** The last round-trip time measured by any ping, in milliseconds; null before the first pong. */
  get lastRttMs(): number | null {
    return this.#lastRttMs;
  }

  /** Starts the heartbeat (no-op when the interval is 0). */
  start(): void {
    if (this.#pingIntervalMs > 0 && !this.#stopped) this.#arm(this.#pingIntervalMs);
  }

  #arm(ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#tick, ms);
    this.#timer.unref();
  }

  readonly #tick = (): void => {
    this.#timer = null;
    if (this.#stopped) return;
    if (this.#heartbeatPayload !== null) {
      // No pong within pongTimeoutMs: the peer is gone or stuck mid-frame (RX-03, RX-05).
      this.#host.terminate();
      return;
    }
    const payload = this.#nextPayload();
    this.#heartbeatPayload = payload;
    this.#pending.push({ payload, sentAt: performance.now(), resolve: null, reject: null });
    this.#trim();
    this.#host.sendPing(payload);
    this.#arm(this.#pongTimeoutMs);
  };

  #nextPayload(): Uint8Array {
    // A plain Uint8Array, not a Buffer: the client core masks a `.slice()` of it (see plainView in websocket.ts).
    const payload = new Uint8Array(4);
    this.#counter = (this.#counter + 1) >>> 0;
    new DataView(payload.buffer).setUint32(0, this.#counter);
    return payload;
  }

  #trim(): void {
    while (this.#pending.length > MAX_PENDING_PINGS) {
      const old = this.#pending.shift()!;
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
    this.#pending.push({ payload, sentAt: performance.now(), resolve, reject });
    this.#trim();
    return promise;
  }

  /** Settles the ping that `payload` echoes and every earlier one (RFC 6455 §5.5.3). Unsolicited pongs are ignored. */
  pong(payload: Uint8Array): void {
    const pending = this.#pending;
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
        if (!this.#stopped) this.#arm(this.#pingIntervalMs);
      }
      p.resolve?.(rtt);
    }
  }

  /** Stops the heartbeat and rejects every pending `ping()` (the connection closed). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject?.(new InvalidStateError('Cannot receive pong: connection closed'));
  }
}
