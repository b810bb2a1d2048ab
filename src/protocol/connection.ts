// Sans-I/O protocol core: the connection lifecycle and its close rules. Bytes in, events out;
// commands in, bytes out. No sockets, no timers. The receive path is InboundStream, the send path
// OutboundQueue; this file decides what each may do in each phase.
// Over 400 lines as one idea; the RFC's close rules are quoted at each transition.

import { CloseCode, isValidCloseCode, parseClosePayload, serializeClosePayload } from './close-code.ts';
import { closeFrameReceived, failed } from './close-rules.ts';
import type { CloseInfo, ConnectionEvent, ConnectionOptions, Lifecycle } from './connection-types.ts';
import { InvalidStateError, ProtocolError } from './errors.ts';
import {
  InboundResult,
  type InboundStream,
  type InboundStreamOptions,
  inboundOptions,
  releaseInboundStream,
  takeInboundStream,
} from './inbound-stream.ts';
import { randomMaskKey } from './mask.ts';
import { Opcode } from './opcode.ts';
import { OutboundQueue, firstHeaderByte } from './outbound-queue.ts';

export type { CloseInfo, ConnectionEvent, ConnectionOptions, Lifecycle, Role } from './connection-types.ts';

const OPEN: Lifecycle = { phase: 'open' };
const EMPTY = new Uint8Array(0);
/** The shared "nothing queued" list; frozen, so a push that skipped `#emit()` throws instead of leaking across connections. */
const NONE: never[] = Object.freeze([]) as never[];
const encoder = new TextEncoder();
function assertNever(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}

/**
 * One WebSocket connection after a successful handshake, without I/O (PW's sans-I/O contract).
 * The engine feeds socket bytes to {@link receive}, dispatches {@link takeEvents} (its handlers may
 * send), then writes {@link takeOutput}; it owns every clock (see {@link closeExpected}).
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
  /** Validated limits for the receive path (checked here, in the constructor; the stream itself is built on first use). */
  readonly #inboundOptions: InboundStreamOptions;
  // Built on first use: an idle connection (most of a server's) never needs them, and the inbound
  // stream holds ~800 bytes.
  #inbound: InboundStream | null = null;
  #outbound: OutboundQueue | null = null;
  #lifecycle: Lifecycle = OPEN;
  // NONE until something is queued (an empty array per connection is 32 bytes).
  #events: ConnectionEvent[] = NONE;
  /** A peer violation whose `close` event went out behind earlier events; its Close frame waits for {@link takeOutput}. */
  #deferredFailure: ProtocolError | null = null;

  /**
   * @param options - role and limits
   * @throws RangeError for a negative or non-integer limit
   */
  constructor(options: ConnectionOptions) {
    if (options.role !== 'server' && options.role !== 'client')
      throw new TypeError(`Cannot use role "${String(options.role)}"`);
    this.#client = options.role === 'client';
    this.#rsv1Extension = options.rsv1Extension ?? false;
    this.#maskKeySource = options.maskKeySource ?? randomMaskKey;
    this.#inboundOptions = inboundOptions(options);
  }

  /** The send path (created on the first frame). */
  #out(): OutboundQueue {
    this.#outbound ??= new OutboundQueue(this.#client, this.#maskKeySource);
    return this.#outbound;
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
    return this.#inbound?.isInflating ?? false;
  }

  /** Bytes held by the decoder and the assembler, for memory accounting. */
  get bufferedInputBytes(): number {
    return this.#inbound?.bufferedBytes ?? 0;
  }

  /** Exact bytes of the frames queued for {@link takeOutput}, headers included (not a deferred failure's Close). */
  get outputBytes(): number {
    return this.#outbound === null ? 0 : this.#outbound.bytes;
  }

  /** Drops the queued frames (not a deferred failure's Close), to drop a slow consumer; returns their bytes. */
  discardOutput(): number {
    const bytes = this.outputBytes;
    if (bytes > 0) this.#outbound!.take();
    return bytes;
  }

  /** Whether {@link takeOutput} would return bytes (a deferred failure's Close frame included). */
  get hasOutput(): boolean {
    return this.#deferredFailure !== null || (this.#outbound !== null && !this.#outbound.isEmpty);
  }

  /** Whether {@link takeEvents} would return events. */
  get hasEvents(): boolean {
    return this.#events.length > 0;
  }

  /**
   * Bytes in. Never throws on peer input: a violation becomes a close frame plus a `close` event
   * with `error` set. Frames are processed in order and a violation fails the connection only at
   * the frame that breaks the rule (as ws and strict peers do): when events of earlier frames are
   * still untaken, the failure's `close` event follows them and its Close frame is queued by the
   * next {@link takeOutput}, after whatever the owner sent while handling them (the reply to a
   * message leaves before the Close frame). Until then {@link canSend} stays true; input after the
   * violation is discarded (§7.1.7). While {@link isInflating}, chunks are only buffered (all
   * frames, control frames included, keep their order); the engine should pause reading when
   * {@link bufferedInputBytes} grows.
   * @param chunk - bytes from the socket; the core takes ownership and unmasks payloads in place
   */
  receive(chunk: Uint8Array): void {
    if (this.#lifecycle.phase === 'closed' || this.#deferredFailure !== null) return;
    this.#inbound ??= takeInboundStream(this.#inboundOptions);
    const inbound = this.#inbound;
    inbound.push(chunk);
    this.#drain(inbound);
  }

  /**
   * Bytes out, in order: `[header, payload]` pairs to write with one `writev`/`cork`. A deferred
   * failure's Close frame is queued now, behind everything sent before this call.
   * @returns the queued buffers (the engine owns them), or [] when none
   */
  takeOutput(): Uint8Array[] {
    const deferred = this.#deferredFailure;
    if (deferred !== null) {
      this.#deferredFailure = null;
      this.#failState(deferred, '');
    }
    return this.#outbound === null ? [] : this.#outbound.take();
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
    if (typeof data === 'string') this.#out().frame(0x80 | Opcode.TEXT, encoder.encode(data), true);
    else this.#out().frame(0x80 | Opcode.TEXT, data, false);
  }

  /**
   * Queues a binary message.
   * @param data - borrowed as in {@link sendText}
   * @throws InvalidStateError after a close frame was sent
   */
  sendBinary(data: Uint8Array): void {
    this.#assertCanSend();
    this.#out().frame(0x80 | Opcode.BINARY, data, false);
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
    const b0 = firstHeaderByte(opcode, payload, options, this.#rsv1Extension);
    this.#assertCanSend();
    this.#out().frame(b0, payload, false);
  }

  /**
   * Queues a frame built once by `serializeFrame` (broadcast). Server role only: client frames
   * need a fresh masking key each.
   * @param frame - `[header, payload]`; borrowed, never modified
   * @throws TypeError in the client role; InvalidStateError after a close frame was sent
   */
  sendPrebuilt(frame: Uint8Array[]): void {
    if (this.#client)
      throw new TypeError('Cannot send a prebuilt frame from the client role: every frame needs a fresh mask');
    this.#assertCanSend();
    this.#out().pushPrebuilt(frame);
  }

  /**
   * Queues a ping.
   * @param data - at most 125 bytes, borrowed; default empty
   * @throws RangeError over 125 bytes; InvalidStateError after a close frame was sent
   */
  ping(data: Uint8Array = EMPTY): void {
    if (data.length > 125) throw new RangeError(`Cannot send a ping of ${data.length} bytes: the limit is 125`);
    this.#assertCanSend();
    this.#out().frame(0x80 | Opcode.PING, data, false);
  }

  /**
   * Queues an unsolicited pong (a unidirectional heartbeat, §5.5.3).
   * @param data - at most 125 bytes, borrowed; default empty
   * @throws RangeError over 125 bytes; InvalidStateError after a close frame was sent
   */
  pong(data: Uint8Array = EMPTY): void {
    if (data.length > 125) throw new RangeError(`Cannot send a pong of ${data.length} bytes: the limit is 125`);
    this.#assertCanSend();
    this.#out().frame(0x80 | Opcode.PONG, data, false);
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
    this.#out().frame(0x80 | Opcode.CLOSE, payload, true);
    this.#transition({
      phase: 'closing',
      sent: { code: code ?? CloseCode.NO_STATUS_RECEIVED, reason: reason ?? '' },
      received: null,
    });
  }

  /**
   * _Fail the WebSocket Connection_ from the engine's side (e.g. 1011, or 1009/1007 from the
   * inflater): queues a close frame (unless one was sent), goes to 'closed', emits `close` with
   * `error` set. No-op once closed; while a peer violation's Close frame is deferred (see
   * {@link receive}), that failure takes effect instead: it was reported first.
   * @param code - a close code that may go on the wire, or a ProtocolError carrying one
   * @param reason - UTF-8 reason ≤ 123 bytes, sent to the peer; never peer data
   * @throws RangeError for a code that may not be sent
   */
  fail(code: number | ProtocolError, reason?: string): void {
    const closeCode = typeof code === 'number' ? code : code.closeCode;
    if (!isValidCloseCode(closeCode)) throw new RangeError(`Cannot fail with close code "${closeCode}"`);
    const deferred = this.#deferredFailure;
    if (deferred !== null) {
      this.#deferredFailure = null;
      this.#failState(deferred, '');
      return;
    }
    if (this.#lifecycle.phase === 'closed') return;
    const error =
      typeof code === 'number'
        ? new ProtocolError(reason === undefined || reason === '' ? 'Connection failed' : reason, {
            code: 'WS_ERR_LOCAL_FAILURE',
            closeCode,
          })
        : code;
    this.#fail(error, reason ?? '');
  }

  /**
   * Hands back inflated bytes of the current `inflate` frame; size and UTF-8 are checked here.
   * @param chunk - inflated bytes, owned by the core from now on
   * @throws InvalidStateError when no inflate is in progress (ignored once closed)
   */
  inflated(chunk: Uint8Array): void {
    if (this.#lifecycle.phase === 'closed' || this.#deferredFailure !== null) return;
    const inbound = this.#inbound;
    if (inbound === null || !inbound.isInflating)
      throw new InvalidStateError('Cannot accept inflated bytes: no inflate in progress');
    try {
      inbound.inflated(chunk);
    } catch (err) {
      this.#failOnInput(toProtocolError(err));
    }
  }

  /**
   * Ends the current inflate frame; decoding resumes at once with the input buffered meanwhile,
   * which may complete a message or start the next `inflate`: take events again afterwards.
   * @throws InvalidStateError when no inflate is in progress (ignored once closed)
   */
  inflateEnd(): void {
    if (this.#lifecycle.phase === 'closed' || this.#deferredFailure !== null) return;
    const inbound = this.#inbound;
    if (inbound === null || !inbound.isInflating)
      throw new InvalidStateError('Cannot end inflating: no inflate in progress');
    let event;
    try {
      event = inbound.inflateEnd();
    } catch (err) {
      this.#failOnInput(toProtocolError(err));
      return;
    }
    if (event !== null) this.#emit(event);
    this.#drain(inbound);
  }

  #drain(inbound: InboundStream): void {
    try {
      for (;;) {
        switch (inbound.next()) {
          case InboundResult.NEED_MORE:
            // Nothing in progress: the stream goes back to the pool until the next read.
            if (inbound.idle && this.#inbound === inbound) {
              this.#inbound = null;
              releaseInboundStream(inbound);
            }
            return;
          case InboundResult.ASSEMBLED:
            // After an `inflate` event next() waits for inflateEnd() (the async deflate boundary).
            this.#emit(inbound.assembled!);
            break;
          case InboundResult.CONTROL:
            this.#onControl(inbound.opcode, inbound.payload);
            if (this.#lifecycle.phase === 'closed') return;
            break;
        }
      }
    } catch (err) {
      this.#failOnInput(toProtocolError(err));
    }
  }

  #onControl(opcode: number, payload: Uint8Array): void {
    switch (opcode) {
      case Opcode.PING:
        // Pings while closing are ignored: our close frame is already on its way.
        if (this.#lifecycle.phase !== 'open') return;
        this.#out().autoPong(payload);
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
    const step = closeFrameReceived(this.#lifecycle, received);
    if (step === null) return;
    if (step.reply !== null) {
      this.#out().frame(0x80 | Opcode.CLOSE, step.reply, true);
      this.#emit({ type: 'closing', code: received.code, reason: received.reason });
    }
    this.#transition(step.next);
    this.#emit({ type: 'close', code: received.code, reason: received.reason, wasClean: true, error: null });
  }

  /**
   * A violation in the peer's input. While open with events of earlier frames untaken, only the
   * `close` event is emitted now and input stops; the Close frame waits for {@link takeOutput}, so
   * what the owner sends in answer to those events goes first.
   */
  #failOnInput(error: ProtocolError): void {
    if (this.#lifecycle.phase === 'open' && this.#events.length > 0) {
      this.#deferredFailure = error;
      this.#inbound?.clear();
      this.#emit({ type: 'close', code: error.closeCode, reason: '', wasClean: false, error });
      return;
    }
    this.#fail(error, '');
  }

  #fail(error: ProtocolError, reason: string): void {
    const sent = this.#failState(error, reason);
    if (sent !== null) this.#emit({ type: 'close', code: error.closeCode, reason: sent, wasClean: false, error });
  }

  /**
   * Fails without the event: queues the Close frame (unless ours was sent) and goes to 'closed'.
   * @returns the reason that went into the Close frame, or null when already closed
   */
  #failState(error: ProtocolError, reason: string): string | null {
    const step = failed(this.#lifecycle, error, reason);
    if (step === null) return null;
    if (step.reply !== null) {
      try {
        this.#out().frame(0x80 | Opcode.CLOSE, step.reply, true);
      } catch {
        // A throwing maskKeySource must not escape receive(): the engine then just drops TCP.
      }
    }
    this.#transition(step.next);
    return step.reply !== null ? step.next.sent!.reason : reason;
  }

  /** The single place that changes state. */
  #transition(next: Lifecycle): void {
    this.#lifecycle = next;
    // §7.1.7 / §5.5.1: after closing, received data is not processed.
    if (next.phase === 'closed') this.#inbound?.clear();
  }

  #assertCanSend(): void {
    if (this.#lifecycle.phase !== 'open') throw new InvalidStateError('Cannot send: the close frame was already sent');
  }
}

function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  // An unexpected exception closes with 1011 and a generic reason: details may be sensitive (PW).
  return new ProtocolError('Internal error', {
    code: 'WS_ERR_INTERNAL',
    closeCode: CloseCode.INTERNAL_ERROR,
    cause: err,
  });
}
