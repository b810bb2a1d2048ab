// Sans-I/O protocol core: the connection lifecycle. Bytes in, events out; commands in, bytes out. No sockets, no timers.

import { CloseCode, isValidCloseCode, parseClosePayload, serializeClosePayload } from './close-code.ts';
import { InvalidStateError, ProtocolError } from './errors.ts';
import { DecodeResult, FrameDecoder } from './frame-decoder.ts';
import { encodeHeader } from './frame-header.ts';
import { mask, randomMaskKey } from './mask.ts';
import { MessageAssembler } from './message-assembler.ts';
import { Opcode, isControlOpcode, isKnownOpcode } from './opcode.ts';

/** Which end of the connection this core plays: it decides the masking rules (§5.1). */
export type Role = 'server' | 'client';

/** Options of {@link Connection}. */
export interface ConnectionOptions {
  /** Server frames are unmasked and client frames must be masked; the client the reverse (§5.1). */
  role: Role;
  /**
   * Largest message in bytes, after inflation. Exceeding it fails the connection with 1009.
   * @default 67108864 (64 MiB; ws's `maxPayload` is 100 MiB): large enough for files, small
   *   enough that one peer cannot take a process's memory
   */
  maxMessageSize?: number;
  /**
   * Largest frame payload in bytes (compressed size for RSV1 frames), checked at the header before
   * anything is buffered.
   * @default maxMessageSize, since a larger frame could never form a valid message
   */
  maxFrameSize?: number;
  /**
   * Most frames per message, empty ones counted. Exceeding it fails with 1008.
   * @default 1024: real fragmenters send a few large frames; thousands of tiny ones are an attack
   *   (ws advisory on empty fragments, PR #2329)
   */
  maxFragments?: number;
  /**
   * A native check that a buffer is complete, valid UTF-8 (the engine passes `buffer.isUtf8`); the
   * protocol layer has no Node imports, so it is injected. The pure-JS DFA still decides any piece
   * the check rejects, and where a message fails (§8.1).
   * @default none: the JS DFA alone (byte at a time, ~26 % of a 4 KiB text echo's CPU)
   */
  utf8Check?: (data: Uint8Array) => boolean;
  /**
   * Whether an extension that defines RSV1 (permessage-deflate) was negotiated. RSV1 data frames
   * are then handed to the engine as `inflate` events.
   * @default false: §5.2 requires RSV1 to be 0 unless an extension is negotiated
   */
  rsv1Extension?: boolean;
  /**
   * Client role: returns 4 fresh masking-key bytes per frame. Used at once, never kept.
   * @default a CSPRNG key from an 8 KiB `crypto.randomFillSync` pool (§5.3 needs unpredictable keys);
   *   tests pass a fixed source to get deterministic bytes
   */
  maskKeySource?: () => Uint8Array;
}

/** A close frame's content as sent or received. `code` 1005 means "no status code". */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/**
 * What the core tells its owner, in arrival order. Buffers are owned by the receiver after
 * `takeEvents()`; they may be views into chunks passed to `receive()`.
 */
export type ConnectionEvent =
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'close'; code: number; reason: string; wasClean: boolean; error: ProtocolError | null }
  | { type: 'closing'; code: number; reason: string }
  | { type: 'inflate'; data: Uint8Array; fin: boolean };

/** The connection lifecycle: one discriminated union, each phase with its own data (TG). */
export type Lifecycle =
  | { readonly phase: 'open' }
  | { readonly phase: 'closing'; readonly sent: CloseInfo | null; readonly received: CloseInfo | null }
  | {
      readonly phase: 'closed';
      readonly sent: CloseInfo | null;
      readonly received: CloseInfo | null;
      readonly failure: ProtocolError | null;
    };

const OPEN: Lifecycle = { phase: 'open' };
const EMPTY = new Uint8Array(0);
/** The shared "nothing queued" list; frozen, so a push that skipped `#out()`/`#emit()` throws instead of leaking across connections. */
const NONE: never[] = Object.freeze([]) as never[];
const encoder = new TextEncoder();
const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
const DEFAULT_MAX_FRAGMENTS = 1024;
/**
 * Automatic pongs allowed to wait in the untaken output before the newest replaces the last one.
 * 16 covers Autobahn 2.10's burst of 10 pings in one read; 16 × 139 bytes bounds a flood.
 */
const MAX_PENDING_AUTO_PONGS = 16;

function assertNever(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Cannot use ${name} "${value}": expected a non-negative integer`);
  return value;
}

/**
 * One WebSocket connection after a successful handshake, without I/O (PW's sans-I/O contract).
 * The engine feeds socket bytes to {@link receive}, writes {@link takeOutput}, and dispatches
 * {@link takeEvents}; it owns every clock (see {@link closeExpected}).
 *
 * @example
 * ```ts
 * const conn = new Connection({ role: 'server' });
 * conn.receive(new Uint8Array([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b])); // masked "hi"
 * conn.takeEvents(); // [{ type: 'message', binary: false, data: <68 69> }]
 * conn.sendText('hi');
 * conn.takeOutput(); // [<81 02>, <68 69>]
 * ```
 */
export class Connection {
  readonly #client: boolean;
  readonly #rsv1Extension: boolean;
  readonly #maskKeySource: () => Uint8Array;
  readonly #maxMessageSize: number;
  readonly #maxFrameSize: number;
  readonly #maxFragments: number;
  readonly #utf8Check: ((data: Uint8Array) => boolean) | undefined;
  // Built on the first received bytes: an idle connection (most of a server's) never needs them,
  // and together they hold ~800 bytes.
  #decoder: FrameDecoder | null = null;
  #assembler: MessageAssembler | null = null;
  #lifecycle: Lifecycle = OPEN;
  // NONE until something is queued (an empty array per connection is 32 bytes).
  #output: Uint8Array[] = NONE;
  /** Bytes in {@link #output}: what the engine counts as queued, exactly. */
  #outputBytes = 0;
  #events: ConnectionEvent[] = NONE;
  #pendingAutoPongs = 0;
  #lastAutoPongAt = -1;
  #inflating = false;

  /**
   * @param options - role and limits
   * @throws RangeError for a negative or non-integer limit
   */
  constructor(options: ConnectionOptions) {
    if (options.role !== 'server' && options.role !== 'client') throw new TypeError(`Cannot use role "${String(options.role)}"`);
    this.#client = options.role === 'client';
    const maxMessageSize = positiveInteger('maxMessageSize', options.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE);
    const maxFrameSize = positiveInteger('maxFrameSize', options.maxFrameSize, maxMessageSize);
    const maxFragments = positiveInteger('maxFragments', options.maxFragments, DEFAULT_MAX_FRAGMENTS);
    this.#rsv1Extension = options.rsv1Extension ?? false;
    this.#maskKeySource = options.maskKeySource ?? randomMaskKey;
    this.#maxMessageSize = maxMessageSize;
    this.#maxFrameSize = maxFrameSize;
    this.#maxFragments = maxFragments;
    this.#utf8Check = options.utf8Check;
  }

  /** Creates the decoder and the assembler on the first received bytes. */
  #createDecoder(): FrameDecoder {
    const maxMessageSize = this.#maxMessageSize;
    const maxFragments = this.#maxFragments;
    const utf8Check = this.#utf8Check;
    this.#assembler =
      utf8Check === undefined
        ? new MessageAssembler({ maxMessageSize, maxFragments })
        : new MessageAssembler({ maxMessageSize, maxFragments, utf8Check });
    const decoder = new FrameDecoder({ expectMasked: !this.#client, allowRsv1: this.#rsv1Extension, maxFrameSize: this.#maxFrameSize });
    this.#decoder = decoder;
    return decoder;
  }

  /** The output list to push to (allocated on first use). */
  #out(): Uint8Array[] {
    if (this.#output === NONE) this.#output = [];
    return this.#output;
  }

  #emit(event: ConnectionEvent): void {
    if (this.#events === NONE) this.#events = [];
    this.#events.push(event);
  }

  /** The lifecycle phase and its data. */
  get lifecycle(): Lifecycle {
    return this.#lifecycle;
  }

  /** WHATWG readyState derived from the lifecycle: 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): 1 | 2 | 3 {
    const now = this.#lifecycle;
    switch (now.phase) {
      case 'open':
        return 1;
      case 'closing':
        return 2;
      case 'closed':
        return 3;
      default:
        return assertNever(now);
    }
  }

  /** True while no close frame was sent: send methods work. */
  get canSend(): boolean {
    return this.#lifecycle.phase === 'open';
  }

  /** True in 'closing' (our close frame sent, the peer's awaited): the engine runs its close timer. */
  get closeExpected(): boolean {
    return this.#lifecycle.phase === 'closing';
  }

  /** True between an `inflate` event and {@link inflateEnd}: input is buffered, not decoded. */
  get isInflating(): boolean {
    return this.#inflating;
  }

  /** Bytes held by the decoder and the assembler, for memory accounting. */
  get bufferedInputBytes(): number {
    const decoder = this.#decoder;
    return decoder === null ? 0 : decoder.bufferedBytes + this.#assembler!.bufferedBytes;
  }

  /** Bytes {@link takeOutput} would return (headers included): the exact size of the queued output. */
  get outputBytes(): number {
    return this.#outputBytes;
  }

  /** Whether {@link takeOutput} would return bytes. */
  get hasOutput(): boolean {
    return this.#output.length > 0;
  }

  /** Whether {@link takeEvents} would return events. */
  get hasEvents(): boolean {
    return this.#events.length > 0;
  }

  /**
   * Bytes in. Never throws on peer input: a violation becomes a close frame plus a `close` event
   * with `error` set. Input after the connection closed is discarded (§7.1.7). While
   * {@link isInflating}, chunks are only buffered (all frames, control frames included, keep their
   * order); the engine should pause reading when {@link bufferedInputBytes} grows.
   * @param chunk - bytes from the socket; the core takes ownership and unmasks payloads in place
   */
  receive(chunk: Uint8Array): void {
    if (this.#lifecycle.phase === 'closed') return;
    (this.#decoder ?? this.#createDecoder()).push(chunk);
    if (!this.#inflating) this.#drain();
  }

  /**
   * Bytes out, in order: `[header, payload]` pairs to write with one `writev`/`cork`.
   * @returns the queued buffers (the engine owns them), or [] when none
   */
  takeOutput(): Uint8Array[] {
    if (this.#output.length === 0) return [];
    const out = this.#output;
    this.#output = NONE;
    this.#outputBytes = 0;
    this.#pendingAutoPongs = 0;
    this.#lastAutoPongAt = -1;
    return out;
  }

  /**
   * Events out, in arrival order.
   * @returns the queued events (the caller owns their buffers), or [] when none
   */
  takeEvents(): ConnectionEvent[] {
    if (this.#events.length === 0) return [];
    const events = this.#events;
    this.#events = NONE;
    return events;
  }

  /**
   * Queues a text message.
   * @param data - a string (UTF-8 encoded here) or bytes that already are UTF-8 (not re-validated;
   *   borrowed: the server role references them until written, the client role copies to mask)
   * @throws InvalidStateError after a close frame was sent
   */
  sendText(data: string | Uint8Array): void {
    this.#assertCanSend();
    if (typeof data === 'string') this.#queueFrame(0x80 | Opcode.TEXT, encoder.encode(data), true);
    else this.#queueFrame(0x80 | Opcode.TEXT, data, false);
  }

  /**
   * Queues a binary message.
   * @param data - borrowed as in {@link sendText}
   * @throws InvalidStateError after a close frame was sent
   */
  sendBinary(data: Uint8Array): void {
    this.#assertCanSend();
    this.#queueFrame(0x80 | Opcode.BINARY, data, false);
  }

  /**
   * Queues one frame: fragments (TEXT/BINARY with `fin: false`, then CONTINUATION) or a compressed
   * payload (`rsv1: true`). The caller keeps fragments in order.
   * @param opcode - a data or ping/pong opcode (use {@link close} for CLOSE)
   * @param payload - borrowed as in {@link sendText}
   * @param options - `fin` (default true), `rsv1` (default false)
   * @throws TypeError for CLOSE or a reserved opcode; RangeError for an invalid control frame or RSV1 without the extension
   * @throws InvalidStateError after a close frame was sent
   */
  sendFrame(opcode: number, payload: Uint8Array, options?: { fin?: boolean; rsv1?: boolean }): void {
    if (!isKnownOpcode(opcode) || opcode === Opcode.CLOSE) throw new TypeError(`Cannot send opcode "${opcode}" with sendFrame`);
    const fin = options?.fin ?? true;
    const rsv1 = options?.rsv1 ?? false;
    if (isControlOpcode(opcode)) {
      // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
      if (!fin || payload.length > 125) throw new RangeError('Cannot send a fragmented or over-125-byte control frame');
    }
    // §5.2 / RFC 7692 §6.1: RSV1 only with the extension, only on the first frame of a data message.
    if (rsv1 && (!this.#rsv1Extension || isControlOpcode(opcode) || opcode === Opcode.CONTINUATION)) {
      throw new RangeError('Cannot set RSV1 on this frame');
    }
    this.#assertCanSend();
    this.#queueFrame((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, payload, false);
  }

  /**
   * Queues a frame built once by `serializeFrame` (broadcast). Server role only: client frames
   * need a fresh masking key each.
   * @param frame - `[header, payload]`; borrowed, never modified
   * @throws TypeError in the client role; InvalidStateError after a close frame was sent
   */
  sendPrebuilt(frame: Uint8Array[]): void {
    if (this.#client) throw new TypeError('Cannot send a prebuilt frame from the client role: every frame needs a fresh mask');
    this.#assertCanSend();
    const out = this.#out();
    for (const part of frame) {
      out.push(part);
      this.#outputBytes += part.length;
    }
  }

  /**
   * Queues a ping.
   * @param data - at most 125 bytes, borrowed; default empty
   * @throws RangeError over 125 bytes; InvalidStateError after a close frame was sent
   */
  ping(data: Uint8Array = EMPTY): void {
    if (data.length > 125) throw new RangeError(`Cannot send a ping of ${data.length} bytes: the limit is 125`);
    this.#assertCanSend();
    this.#queueFrame(0x80 | Opcode.PING, data, false);
  }

  /**
   * Queues an unsolicited pong (a unidirectional heartbeat, §5.5.3).
   * @param data - at most 125 bytes, borrowed; default empty
   * @throws RangeError over 125 bytes; InvalidStateError after a close frame was sent
   */
  pong(data: Uint8Array = EMPTY): void {
    if (data.length > 125) throw new RangeError(`Cannot send a pong of ${data.length} bytes: the limit is 125`);
    this.#assertCanSend();
    this.#queueFrame(0x80 | Opcode.PONG, data, false);
  }

  /**
   * Starts the closing handshake (§7.1.2). No-op once a close frame was sent.
   * @param code - status code; omit for an empty close payload
   * @param reason - UTF-8, at most 123 bytes; needs a code
   * @throws RangeError/TypeError for an invalid code or reason (as `serializeClosePayload`)
   */
  close(code?: number, reason?: string): void {
    const payload = serializeClosePayload(code, reason);
    if (this.#lifecycle.phase !== 'open') return;
    this.#queueFrame(0x80 | Opcode.CLOSE, payload, true);
    this.#transition({ phase: 'closing', sent: { code: code ?? CloseCode.NO_STATUS_RECEIVED, reason: reason ?? '' }, received: null });
  }

  /**
   * _Fail the WebSocket Connection_ from the engine's side (e.g. 1011, or 1009/1007 from the
   * inflater): queues a close frame (unless one was sent), goes to 'closed', emits `close` with
   * `error` set. No-op once closed.
   * @param code - a close code that may go on the wire, or a ProtocolError carrying one
   * @param reason - UTF-8 reason ≤ 123 bytes, sent to the peer; never peer data
   * @throws RangeError for a code that may not be sent
   */
  fail(code: number | ProtocolError, reason?: string): void {
    const closeCode = typeof code === 'number' ? code : code.closeCode;
    if (!isValidCloseCode(closeCode)) throw new RangeError(`Cannot fail with close code "${closeCode}"`);
    if (this.#lifecycle.phase === 'closed') return;
    const error = typeof code === 'number'
      ? new ProtocolError(reason === undefined || reason === '' ? 'Connection failed' : reason, { code: 'WS_ERR_LOCAL_FAILURE', closeCode })
      : code;
    this.#fail(error, reason ?? '');
  }

  /**
   * Hands back inflated bytes of the current `inflate` frame; size and UTF-8 are checked here.
   * @param chunk - inflated bytes, owned by the core from now on
   * @throws InvalidStateError when no inflate is in progress (ignored once closed)
   */
  inflated(chunk: Uint8Array): void {
    if (this.#lifecycle.phase === 'closed') return;
    if (!this.#inflating) throw new InvalidStateError('Cannot accept inflated bytes: no inflate in progress');
    try {
      this.#assembler!.inflated(chunk);
    } catch (err) {
      this.#fail(toProtocolError(err), '');
    }
  }

  /**
   * Ends the current inflate frame; decoding resumes at once with the input buffered meanwhile,
   * which may complete a message or start the next `inflate`: take events again afterwards.
   * @throws InvalidStateError when no inflate is in progress (ignored once closed)
   */
  inflateEnd(): void {
    if (this.#lifecycle.phase === 'closed') return;
    if (!this.#inflating) throw new InvalidStateError('Cannot end inflating: no inflate in progress');
    this.#inflating = false;
    try {
      const event = this.#assembler!.inflateEnd();
      if (event !== null) this.#emit(event);
    } catch (err) {
      this.#fail(toProtocolError(err), '');
      return;
    }
    this.#drain();
  }

  #drain(): void {
    const decoder = this.#decoder!;
    const assembler = this.#assembler!;
    try {
      for (;;) {
        switch (decoder.next()) {
          case DecodeResult.NEED_MORE:
            return;
          case DecodeResult.FRAME_START:
            assembler.frameStart(decoder.opcode, decoder.fin, decoder.rsv1, decoder.payloadLength);
            break;
          case DecodeResult.DATA: {
            const event = assembler.framePayload(decoder.payload, decoder.last);
            if (event !== null) {
              this.#emit(event);
              if (event.type === 'inflate') {
                // The async deflate boundary (STYLE §5): stop until the engine calls inflateEnd().
                this.#inflating = true;
                return;
              }
            }
            break;
          }
          case DecodeResult.CONTROL:
            this.#onControl(decoder.opcode, decoder.payload);
            if (this.#lifecycle.phase === 'closed') return;
            break;
        }
      }
    } catch (err) {
      this.#fail(toProtocolError(err), '');
    }
  }

  #onControl(opcode: number, payload: Uint8Array): void {
    switch (opcode) {
      case Opcode.PING:
        // Pings while closing are ignored: our close frame is already on its way.
        if (this.#lifecycle.phase !== 'open') return;
        this.#queueAutoPong(payload);
        this.#emit({ type: 'ping', data: payload });
        return;
      case Opcode.PONG:
        this.#emit({ type: 'pong', data: payload });
        return;
      case Opcode.CLOSE:
        this.#onCloseFrame(parseClosePayload(payload));
        return;
      default:
        throw new Error(`Unexpected control opcode ${opcode}`);
    }
  }

  #onCloseFrame(received: CloseInfo): void {
    const now = this.#lifecycle;
    switch (now.phase) {
      case 'open': {
        // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
        // the endpoint MUST send a Close frame in response." The code is echoed, never the reason.
        const code = received.code === CloseCode.NO_STATUS_RECEIVED ? undefined : received.code;
        this.#queueFrame(0x80 | Opcode.CLOSE, serializeClosePayload(code), true);
        this.#emit({ type: 'closing', code: received.code, reason: received.reason });
        // Both close frames are now seen, so the protocol's view is 'closed' at once: the server
        // engine ends TCP after flushing, the client engine awaits the server's TCP close.
        this.#closed({ phase: 'closed', sent: { code: received.code, reason: '' }, received, failure: null });
        break;
      }
      case 'closing':
        this.#closed({ phase: 'closed', sent: now.sent, received, failure: null });
        break;
      case 'closed':
        break; // input after closing is discarded (§7.1.7)
      default:
        assertNever(now);
    }
  }

  /** Both close frames seen: clean close. */
  #closed(next: Lifecycle & { phase: 'closed' }): void {
    this.#transition(next);
    const received = next.received!;
    this.#emit({ type: 'close', code: received.code, reason: received.reason, wasClean: true, error: null });
  }

  #fail(error: ProtocolError, reason: string): void {
    const now = this.#lifecycle;
    switch (now.phase) {
      case 'open': {
        // §7.1.7: "_Fail the WebSocket Connection_ ... the endpoint MAY send a Close frame" — we do, with the code.
        let payload: Uint8Array;
        try {
          payload = serializeClosePayload(error.closeCode, reason);
        } catch {
          reason = ''; // over 123 bytes: send the code alone
          payload = serializeClosePayload(error.closeCode);
        }
        try {
          this.#queueFrame(0x80 | Opcode.CLOSE, payload, true);
        } catch {
          // A throwing maskKeySource must not escape receive(): the engine then just drops TCP.
        }
        this.#transition({ phase: 'closed', sent: { code: error.closeCode, reason }, received: null, failure: error });
        break;
      }
      case 'closing':
        this.#transition({ phase: 'closed', sent: now.sent, received: now.received, failure: error });
        break;
      case 'closed':
        return;
      default:
        assertNever(now);
    }
    this.#emit({ type: 'close', code: error.closeCode, reason, wasClean: false, error });
  }

  /** The single place that changes state. */
  #transition(next: Lifecycle): void {
    this.#lifecycle = next;
    if (next.phase === 'closed') {
      // §7.1.7 / §5.5.1: after closing, received data is not processed.
      this.#decoder?.clear();
      this.#assembler?.reset();
      this.#inflating = false;
    }
  }

  #assertCanSend(): void {
    if (this.#lifecycle.phase !== 'open') throw new InvalidStateError('Cannot send: the close frame was already sent');
  }

  /**
   * RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response"
   * with "identical Application data". Every ping is answered until {@link MAX_PENDING_AUTO_PONGS}
   * pongs wait in the untaken output; after that §5.5.3 ("an endpoint MAY elect to send a Pong
   * frame for only the most recently processed Ping frame") lets the newest replace the last
   * pending one, so a ping flood against a peer that never reads keeps the output bounded
   * (SECURITY-CASES FR-15) while a burst of pings in one read still gets every pong (Autobahn 2.10).
   */
  #queueAutoPong(payload: Uint8Array): void {
    // Copied: the ping event hands the same bytes to the application. Uint8Array's slice, because
    // Buffer#slice is a view and the payload is usually a view into a socket Buffer.
    const copy = Uint8Array.prototype.slice.call(payload);
    if (this.#pendingAutoPongs < MAX_PENDING_AUTO_PONGS) {
      this.#pendingAutoPongs++;
      this.#lastAutoPongAt = this.#out().length;
      this.#queueFrame(0x80 | Opcode.PONG, copy, true);
      return;
    }
    const at = this.#lastAutoPongAt;
    const key = this.#client ? this.#maskKeySource() : null;
    const header = encodeHeader(0x80 | Opcode.PONG, copy.length, key);
    this.#outputBytes += header.length + copy.length - this.#output[at]!.length - this.#output[at + 1]!.length;
    this.#output[at] = header;
    if (key !== null && copy.length > 0) mask(copy, key, 0);
    this.#output[at + 1] = copy;
  }

  /** Queues `[header, payload]`. Server: payload referenced as is. Client: masked, in place when owned. */
  #queueFrame(b0: number, payload: Uint8Array, owned: boolean): void {
    if (!this.#client) {
      const header = encodeHeader(b0, payload.length, null);
      this.#out().push(header, payload);
      this.#outputBytes += header.length + payload.length;
      return;
    }
    // §5.3: the client masks every frame with a fresh key; borrowed bytes are masked into a copy (WS `readOnly`).
    const key = this.#maskKeySource();
    if (key.length !== 4) throw new RangeError(`Cannot use a ${key.length}-byte masking key: it must be 4 bytes`);
    const header = encodeHeader(b0, payload.length, key);
    let body = payload;
    if (payload.length > 0) {
      // Uint8Array's slice copies; Buffer#slice would be a view, and masking it would change the caller's bytes.
      body = owned ? payload : Uint8Array.prototype.slice.call(payload);
      mask(body, key, 0);
    }
    this.#out().push(header, body);
    this.#outputBytes += header.length + body.length;
  }
}

function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  // An unexpected exception closes with 1011 and a generic reason: details may be sensitive (PW).
  return new ProtocolError('Internal error', { code: 'WS_ERR_INTERNAL', closeCode: CloseCode.INTERNAL_ERROR, cause: err });
}
