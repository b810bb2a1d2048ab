// Node binding: the one send path of a connection: slow-consumer admission, permessage-deflate routing, queueing in the core.
import type { Duplex } from 'node:stream';
import { Opcode, type Connection } from '../protocol/index.ts';
import { plainView } from './byte-views.ts';
import { BroadcastCompression, type DeflateChannel } from './deflate-channel.ts';
import { SocketOutput } from './socket-output.ts';

/**
 * What a connection does when a send would take `bufferedAmount` past the high-water mark.
 * `wait` queues anyway (the application watches `bufferedAmount`), `drop` discards the message,
 * `close` closes the connection with the configured code (1008 by default, 1013 is the alternative).
 */
export type SlowConsumerPolicy = 'wait' | 'drop' | 'close';

/** The opcodes of a whole message. */
export type MessageOpcode = typeof Opcode.TEXT | typeof Opcode.BINARY;

/** The options sending needs. */
export interface SendOptions {
  /** Bytes queued before the slow-consumer policy applies. */
  readonly sendHighWaterMark: number;
  readonly slowConsumerPolicy: SlowConsumerPolicy;
}

/** @internal The hook a send that crossed the high-water mark is reported to (a symbol: the WebSocket implements it). */
export const kSlowConsumer = Symbol('switchboard.slowConsumer');

/** Where the sender reports a send that crossed the high-water mark. */
export interface SendHooks {
  /** `action` is what the policy does ('closed': the handler drops the queue and closes with the configured code). */
  [kSlowConsumer](action: 'queued' | 'dropped' | 'closed', bufferedAmount: number): void;
}

/**
 * Every send of a connection goes through here, for both WebSocket classes: the slow-consumer
 * policy admits it, permessage-deflate (when negotiated) keeps it in order with compressions in
 * flight, and the core queues the frame. What is queued is measured by the core itself
 * ({@link Connection.outputBytes}), never estimated by callers. The subclass (the socket binding)
 * says how much is buffered and writes what the core holds when told {@link queued}. A layer of the
 * connection's binding (see PingTracker in heartbeat.ts), over its socket output.
 */
export abstract class FrameSender<
  O extends SendOptions = SendOptions,
  H extends SendHooks = SendHooks,
> extends SocketOutput {
  protected readonly core: Connection;
  protected readonly role: 'server' | 'client';
  protected readonly options: O;
  protected readonly hooks: H;
  #overHighWater = false;

  /**
   * @param socket - the upgraded socket
   * @param core - the connection's core
   * @param init - which end this is (the client role masks a copy of borrowed payloads), the high-water mark and
   *   policy, where crossings are reported, and the heartbeat's interval and pong timeout
   */
  constructor(
    socket: Duplex,
    core: Connection,
    init: {
      role: 'server' | 'client';
      options: O;
      hooks: H;
      heartbeat: { pingIntervalMs: number; pongTimeoutMs: number };
    },
  ) {
    super(socket, init.heartbeat);
    const { role, options, hooks } = init;
    this.core = core;
    this.role = role;
    this.options = options;
    this.hooks = hooks;
  }

  /** Bytes accepted by `send*` but not yet delivered to the kernel (WHATWG `bufferedAmount`). */
  abstract get bufferedAmount(): number;

  /** permessage-deflate of this connection, or null. */
  abstract get deflate(): DeflateChannel | null;

  /** The core holds new output: write it at the end of the current read, or once per tick. */
  abstract queued(): void;

  /**
   * Queues a whole message, through permessage-deflate when negotiated (compressed at its
   * threshold, in order behind compressions in flight).
   * @param opcode - TEXT (payload already UTF-8) or BINARY
   * @param payload - borrowed until written; never modified (the client role masks a copy)
   * @returns false when not queued: the connection is closing, or the slow-consumer policy refused it
   */
  sendMessage(opcode: MessageOpcode, payload: Uint8Array): boolean {
    const connection = this.core;
    if (!connection.canSend || !this.#admit(payload.length)) return false;
    const deflate = this.deflate;
    if (deflate !== null) {
      deflate.send(opcode, payload);
      return true;
    }
    const bytes = this.role === 'client' ? plainView(payload) : payload;
    if (opcode === Opcode.TEXT) connection.sendText(bytes);
    else connection.sendBinary(bytes);
    this.queued();
    return true;
  }

  /**
   * Queues a text message given as a string. Without permessage-deflate the client core encodes
   * it itself and masks that fresh copy in place (no second copy).
   * @returns as {@link sendMessage}
   */
  sendString(text: string): boolean {
    if (this.role === 'server' || this.deflate !== null)
      return this.sendMessage(Opcode.TEXT, Buffer.from(text, 'utf8'));
    const connection = this.core;
    if (!connection.canSend || !this.#admit(text.length)) return false;
    connection.sendText(text);
    this.queued();
    return true;
  }

  /**
   * Queues one uncompressed data frame: the pieces of a fragmented message (TEXT or BINARY with
   * `fin` false, then CONTINUATION), or a message sent without compression. Behind compressions
   * in flight when permessage-deflate is negotiated.
   * @returns as {@link sendMessage}
   */
  sendFrame(opcode: number, payload: Uint8Array, fin: boolean): boolean {
    const connection = this.core;
    if (!connection.canSend || !this.#admit(payload.length)) return false;
    const bytes = this.role === 'client' ? plainView(payload) : payload;
    const send = (): void => {
      if (!connection.canSend) return;
      connection.sendFrame(opcode, bytes, { fin });
      this.queued();
    };
    if (this.deflate !== null) this.deflate.afterSends(send);
    else send();
    return true;
  }

  /**
   * Queues a ping or a pong. Control frames skip the slow-consumer policy.
   * @param opcode - PING or PONG
   * @param payload - at most 125 bytes
   * @param ordered - behind messages still being compressed (ws's send callbacks count on it);
   *   otherwise at once, between messages
   * @throws RangeError over 125 bytes
   */
  sendControl(opcode: typeof Opcode.PING | typeof Opcode.PONG, payload: Uint8Array, ordered = false): void {
    const connection = this.core;
    const bytes = this.role === 'client' ? plainView(payload) : payload;
    const send = (): void => {
      if (!connection.canSend) return;
      if (opcode === Opcode.PING) connection.ping(bytes);
      else connection.pong(bytes);
      this.queued();
    };
    if (ordered && this.deflate !== null) this.deflate.afterSends(send);
    else send();
  }

  /**
   * Broadcast: queues a frame serialized once for many server connections (server role only).
   * @param frame - `[header, payload]`, borrowed
   * @param size - its bytes
   * @param compression - the broadcast's shared compressed forms, when any connection negotiated permessage-deflate
   * @returns as {@link sendMessage}
   */
  sendPrebuilt(frame: Uint8Array[], size: number, compression?: BroadcastCompression): boolean {
    const connection = this.core;
    if (!connection.canSend || !this.#admit(size)) return false;
    const deflate = this.deflate;
    if (deflate !== null) {
      deflate.sendBroadcast(frame, size, compression ?? new BroadcastCompression(frame[0]![0]! & 0x0f, frame[1]!));
      return true;
    }
    connection.sendPrebuilt(frame);
    this.queued();
    return true;
  }

  /**
   * Applies the slow-consumer policy before a data send of `size` bytes.
   * @returns true when the message may be queued
   */
  #admit(size: number): boolean {
    const buffered = this.bufferedAmount;
    if (buffered + size <= this.options.sendHighWaterMark || buffered === 0) {
      this.#overHighWater = false;
      return true;
    }
    switch (this.options.slowConsumerPolicy) {
      case 'wait':
        if (!this.#overHighWater) {
          this.#overHighWater = true;
          this.hooks[kSlowConsumer]('queued', buffered);
        }
        return true;
      case 'drop':
        this.hooks[kSlowConsumer]('dropped', buffered);
        return false;
      case 'close':
        // The handler drops the queue and closes; the close timer ends a peer that never reads.
        this.hooks[kSlowConsumer]('closed', buffered);
        return false;
    }
  }

  /**
   * Discards the output still queued in user space: frames the core holds (not yet written: the
   * socket had not taken the previous write) and messages waiting for compression. Bytes already
   * handed to the socket cannot be taken back. Anything sent afterwards goes out right behind them.
   * @returns the bytes discarded
   */
  discardQueued(): number {
    let bytes = this.core.discardOutput();
    if (this.deflate !== null) bytes += this.deflate.discardQueued();
    return bytes;
  }
}
