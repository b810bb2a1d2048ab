// Client SDK (Node-free): which transport the next connection uses. WebSocket first; where it is blocked (refused, or
// accepted by a proxy that then swallows frames) the event stream, then long-polling; and while on a fallback, a
// background probe of the preferred transport that moves the client back once it answers.
import type { ClientOptions } from './client-options.ts';
import { ClientCloseCode } from './close-codes.ts';
import { httpBaseUrl, type FetchFunction, type HttpTransportConfig } from './http-transport.ts';
import { PollingSocket } from './polling-transport.ts';
import { SseSocket } from './sse-transport.ts';
import type { TimerHandle, TimerSet } from './timers.ts';
import { releaseSocket, TRANSPORT_KINDS, type TransportKind, type TransportSocket } from './transport.ts';
import { JSON_SUBPROTOCOL, type ClientWire } from './wire.ts';
import { RfcCloseCode } from '../messages/core.ts';

/** The default `transportTimeoutMs`. */
export const DEFAULT_TRANSPORT_TIMEOUT_MS = 5_000;
/** The default `websocketRetryMs`. */
export const DEFAULT_WEBSOCKET_RETRY_MS = 10_000;
/** The probe's pause grows (x2 per failed probe) up to this many times `websocketRetryMs`. */
export const MAX_PROBE_BACKOFF_FACTOR = 32;
/** The `rid` of the probe's `connect` (its own connection: no other request shares the sequence). */
const PROBE_RID = 1;

/** What the chooser needs from the connection lifecycle. */
export interface TransportChooserHost {
  /** The preferred transport answered a probe: reconnect over it now (a normal reconnect, with recovery). */
  upgrade(): void;
}

/** Picks the transport of each connection attempt and probes the preferred one while on a fallback. */
export class TransportChooser {
  readonly #kinds: readonly TransportKind[];
  readonly #options: ClientOptions;
  readonly #wire: ClientWire;
  readonly #timers: TimerSet;
  readonly #host: TransportChooserHost;
  readonly #http: HttpTransportConfig | null;
  readonly #timeoutMs: number;
  readonly #retryMs: number;
  #index = 0;
  #probeTimer: TimerHandle | null = null;
  #probeSocket: TransportSocket | null = null;
  #probeFailures = 0;
  /** Transports that reached `connected` in this client's life: a slow attempt on one of them is load, not a proxy. */
  readonly #worked = new Set<TransportKind>();
  /** The token of the current session (the HTTP transports send it with every request; the probe authenticates with it). */
  token: string | undefined;

  /**
   * @param options The client's options (`transports`, `transport`, `fetch`, `httpUrl`, timings).
   * @param wire The client's wire (the HTTP transports need JSON).
   * @param timers The client's timers.
   * @param host The connection lifecycle.
   * @throws {RangeError} For an empty or unknown transport list, a duplicate, or a bad timing.
   * @throws {TypeError} When a listed transport cannot work: WebSocket without `transport`, HTTP without `fetch`
   *   or with a binary codec, or a URL the HTTP endpoints cannot be derived from.
   */
  constructor(options: ClientOptions, wire: ClientWire, timers: TimerSet, host: TransportChooserHost) {
    this.#options = options;
    this.#wire = wire;
    this.#timers = timers;
    this.#host = host;
    this.#timeoutMs = positive(options.transportTimeoutMs, 'transportTimeoutMs', DEFAULT_TRANSPORT_TIMEOUT_MS);
    this.#retryMs = positive(options.websocketRetryMs, 'websocketRetryMs', DEFAULT_WEBSOCKET_RETRY_MS);
    const fetchFn = options.fetch ?? defaultFetch();
    const json = wire.subprotocol === JSON_SUBPROTOCOL;
    let kinds: readonly TransportKind[];
    if (options.transports !== undefined) {
      kinds = checkKinds(options.transports);
      if (kinds.includes('websocket') && options.transport === undefined)
        throw new TypeError(
          'Cannot use the "websocket" transport without the `transport` option (a WebSocket factory)',
        );
      const http = kinds.find((k) => k !== 'websocket');
      if (http !== undefined && fetchFn === undefined)
        throw new TypeError(
          `Cannot use the "${http}" transport: no \`fetch\` in this runtime; pass the \`fetch\` option`,
        );
      if (http !== undefined && !json)
        throw new TypeError(
          `Cannot use the "${http}" transport with the ${wire.subprotocol} codec: it carries JSON only`,
        );
    } else {
      // The default: every transport that can work here, in the order of preference.
      kinds = TRANSPORT_KINDS.filter((k) =>
        k === 'websocket' ? options.transport !== undefined : fetchFn !== undefined && json,
      );
      if (kinds.length === 0)
        throw new TypeError(
          'Cannot connect: no `transport` (WebSocket factory) given and no `fetch` for the HTTP ones',
        );
    }
    this.#kinds = kinds;
    this.#http =
      fetchFn === undefined || kinds.every((k) => k === 'websocket')
        ? null
        : {
            ...httpBaseUrl(options.httpUrl ?? options.url),
            fetch: fetchFn,
            token: () => this.token,
            withCredentials: options.withCredentials ?? false,
            clock: timers.clock,
          };
  }

  /** The transports tried, in order. */
  get kinds(): readonly TransportKind[] {
    return this.#kinds;
  }

  /** The transport of the current connection, or of the next attempt. */
  get kind(): TransportKind {
    return this.#kinds[this.#index] as TransportKind;
  }

  /**
   * How long an attempt may take to get `connected` before the next transport is tried; null on the last one, and on
   * one that has worked before in this client (a slow handshake there is a loaded server, not a proxy swallowing
   * frames: `connectTimeoutMs` applies, and the next transport is tried after it).
   */
  get fallbackTimeoutMs(): number | null {
    return this.#index < this.#kinds.length - 1 && !this.#worked.has(this.kind) ? this.#timeoutMs : null;
  }

  /**
   * Opens a socket of the current transport.
   * @param subprotocol The WebSocket subprotocol to offer.
   */
  open(subprotocol: string): TransportSocket {
    return this.#create(this.kind, subprotocol);
  }

  /**
   * The attempt on the current transport failed before `connected` (refused, closed, or silent for
   * `transportTimeoutMs`).
   * @returns true when there is a next transport to try at once; false when every one failed (the next attempt, after
   *   the backoff, starts again from the preferred one).
   */
  failed(): boolean {
    if (this.#index < this.#kinds.length - 1) {
      this.#index++;
      return true;
    }
    this.#index = 0;
    return false;
  }

  /** A connection is established on the current transport: on a fallback, plan a probe of the preferred one. */
  connected(): void {
    this.#stopProbe();
    this.#worked.add(this.kind);
    if (this.#index === 0) {
      this.#probeFailures = 0;
      return;
    }
    this.#scheduleProbe();
  }

  /** The connection is gone, or the client closed: no probe. */
  lost(): void {
    this.#stopProbe();
  }

  #create(kind: TransportKind, subprotocol: string): TransportSocket {
    if (kind === 'websocket') {
      const factory = this.#options.transport;
      if (factory === undefined) throw new TypeError('No WebSocket factory');
      return factory(this.#options.url, [subprotocol]);
    }
    const http = this.#http as HttpTransportConfig;
    return kind === 'sse' ? new SseSocket(http) : new PollingSocket(http);
  }

  #scheduleProbe(): void {
    const factor = Math.min(MAX_PROBE_BACKOFF_FACTOR, 2 ** this.#probeFailures);
    // Between half and all of the pause, so that the tabs of a whole office behind one proxy do not probe together.
    const delay = this.#retryMs * factor * (0.5 + 0.5 * (this.#options.random ?? Math.random)());
    this.#probeTimer = this.#timers.start(() => {
      this.#probeTimer = null;
      this.#probe();
    }, delay);
  }

  /** Opens the preferred transport, sends `connect`, and takes any answer as proof that it works. */
  #probe(): void {
    let socket: TransportSocket;
    try {
      socket = this.#create(this.#kinds[0] as TransportKind, this.#wire.subprotocol);
      socket.binaryType = 'arraybuffer';
    } catch {
      this.#probeFailures++;
      this.#scheduleProbe();
      return;
    }
    this.#probeSocket = socket;
    const timer = this.#timers.start(() => done(false), this.#timeoutMs);
    const done = (works: boolean): void => {
      if (this.#probeSocket !== socket) return;
      this.#probeSocket = null;
      this.#timers.clear(timer);
      releaseSocket(socket, works ? RfcCloseCode.NORMAL : ClientCloseCode.ABANDONED, 'transport_probe');
      if (!works) {
        this.#probeFailures++;
        this.#scheduleProbe();
        return;
      }
      this.#index = 0;
      this.#host.upgrade();
    };
    socket.onopen = () => {
      try {
        const token = this.token;
        socket.send(
          this.#wire.encode({
            type: 'connect',
            rid: PROBE_RID,
            ...(token === undefined ? {} : { token }),
            ...(this.#options.name === undefined ? {} : { name: this.#options.name }),
          }),
        );
      } catch {
        done(false);
      }
    };
    socket.onmessage = () => done(true);
    socket.onclose = () => done(false);
    socket.onerror = () => {};
  }

  #stopProbe(): void {
    this.#timers.clear(this.#probeTimer);
    this.#probeTimer = null;
    const socket = this.#probeSocket;
    this.#probeSocket = null;
    if (socket !== null) releaseSocket(socket, ClientCloseCode.ABANDONED, 'transport_probe');
  }
}

/** The runtime's `fetch`, or undefined where there is none. */
function defaultFetch(): FetchFunction | undefined {
  const f = (globalThis as { fetch?: unknown }).fetch;
  return typeof f === 'function' ? (url, init) => fetch(url, init) : undefined;
}

function checkKinds(value: readonly TransportKind[]): readonly TransportKind[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new RangeError('transports must list at least one of "websocket", "sse", "polling"');
  for (const [i, kind] of value.entries()) {
    if (!TRANSPORT_KINDS.includes(kind))
      throw new RangeError(
        `transports: unknown transport "${String(kind)}" (expected "websocket", "sse" or "polling")`,
      );
    if (value.indexOf(kind) !== i) throw new RangeError(`transports: "${kind}" is listed twice`);
  }
  return [...value];
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}
