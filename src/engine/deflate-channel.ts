// Node binding: permessage-deflate on one connection: drives the core's inflate seam and keeps compressed sends in order.
import { Opcode, serializeFrame, type Connection } from '../protocol/index.ts';
import { plainView } from './byte-views.ts';
import { deflateMessage, type PerMessageDeflate } from './deflate.ts';
import { ReadyStates } from './ready-states.ts';

/** What the channel needs from its socket binding. */
export interface DeflateChannelHooks {
  /** The core holds new output (it measures it): write it (now or at the end of the tick). */
  queued(): void;
}

/** A frame whose payload is compressed once and shared by many connections (broadcast). */
export class SharedFrame {
  /** `[header, payload]` once compressed; null before, or when compression failed. */
  frame: Uint8Array[] | null = null;
  /** Bytes of the frame once ready. */
  size = 0;
  failed = false;
  #waiters: Array<() => void> = [];

  /** Whether the frame (or its failure) is known. */
  get settled(): boolean {
    return this.frame !== null || this.failed;
  }

  /** Calls `fn` once the frame is ready or failed (at once if it is). */
  whenSettled(fn: () => void): void {
    if (this.settled) fn();
    else this.#waiters.push(fn);
  }

  /** @internal */
  settle(frame: Uint8Array[] | null): void {
    if (frame === null) this.failed = true;
    else {
      this.frame = frame;
      this.size = frame[0]!.length + frame[1]!.length;
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const fn of waiters) fn();
  }
}

/**
 * One broadcast's compressed forms: connections whose sending side has `no_context_takeover`
 * compress every message from an empty window, so their bytes depend only on the message and the
 * window bits; the message is compressed once per window-bits value, on first demand.
 */
export class BroadcastCompression {
  readonly #opcode: number;
  readonly #payload: Uint8Array;
  readonly #frames = new Map<number, SharedFrame>();

  /**
   * @param opcode - TEXT or BINARY
   * @param payload - the message; borrowed until every compression finished
   */
  constructor(opcode: number, payload: Uint8Array) {
    this.#opcode = opcode;
    this.#payload = payload;
  }

  /** The message's bytes. */
  get payload(): Uint8Array {
    return this.#payload;
  }

  /** The message's opcode. */
  get opcode(): number {
    return this.#opcode;
  }

  /** The shared compressed frame for `windowBits`, compressing on first call. */
  frameFor(windowBits: number): SharedFrame {
    let shared = this.#frames.get(windowBits);
    if (shared === undefined) {
      const created = new SharedFrame();
      shared = created;
      this.#frames.set(windowBits, created);
      deflateMessage(this.#payload, { windowBits }, (err, compressed) => {
        // RFC 7692 §6.1: RSV1 on the first (here: only) frame of a compressed message.
        created.settle(
          err !== null || compressed === null ? null : serializeFrame(this.#opcode, compressed, { rsv1: true }),
        );
      });
    }
    return shared;
  }
}

/** A queued send; `bytes` is what it adds to {@link DeflateChannel.pendingBytes}. */
type Entry = { bytes: number } & (
  | { kind: 'compress'; opcode: number; payload: Buffer | null; ready: boolean; failed: boolean }
  | { kind: 'plain'; opcode: number; data: Uint8Array }
  | { kind: 'prebuilt'; frame: Uint8Array[]; size: number }
  | { kind: 'shared'; shared: SharedFrame }
  | { kind: 'run'; fn: () => void }
);

/**
 * permessage-deflate for one connection, between its socket binding and its core.
 *
 * Receiving: {@link inflate} runs one `inflate` event of the core through zlib, feeding each
 * inflated chunk to `connection.inflated()` (which counts it toward `maxMessageSize` and checks
 * UTF-8), then calls `inflateEnd()`, or `fail()` with the inflater's 1007/1009.
 *
 * Sending: messages leave in the order they were sent. While a compressed message is in flight,
 * later sends (uncompressed ones, broadcast frames, and a close) wait in a queue behind it, as ws's
 * Sender does: a small message must not overtake a large one that is still being compressed, and
 * a close must not cut off messages sent before it. Control frames the core answers by itself
 * (pongs, the close echo) are not delayed: they are not part of any message.
 */
export class DeflateChannel {
  readonly #connection: Connection;
  readonly #deflate: PerMessageDeflate;
  readonly #hooks: DeflateChannelHooks;
  readonly #client: boolean;
  #queue: Entry[] = [];
  #head = 0;
  #pendingBytes = 0;
  #closed = false;
  /**
   * Set by {@link discardQueued}: the peer will never see the discarded messages, so the
   * compressor's window no longer matches its inflater's; what follows goes uncompressed.
   */
  #plainOnly = false;

  /**
   * @param connection - the core, created with `rsv1Extension: true`
   * @param deflate - the connection's zlib state
   * @param init - role and binding hooks
   */
  constructor(
    connection: Connection,
    deflate: PerMessageDeflate,
    init: { role: 'server' | 'client'; hooks: DeflateChannelHooks },
  ) {
    this.#connection = connection;
    this.#deflate = deflate;
    this.#hooks = init.hooks;
    this.#client = init.role === 'client';
  }

  /** The connection's zlib state. */
  get deflate(): PerMessageDeflate {
    return this.#deflate;
  }

  /** Bytes of messages accepted by `send*` that still wait for compression or for one ahead of them. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Whether sends currently wait behind a compression. */
  get isBusy(): boolean {
    return this.#head < this.#queue.length;
  }

  /**
   * Inflates the payload of one `inflate` event and hands the result to the core.
   * @param data - the event's compressed frame payload
   * @param fin - the event's `fin`
   * @param done - called when the core can be asked for events again (never after {@link close})
   */
  inflate(data: Uint8Array, fin: boolean, done: () => void): void {
    const connection = this.#connection;
    this.#deflate.decompress(
      data,
      fin,
      (chunk) => {
        connection.inflated(chunk);
        return connection.readyState !== ReadyStates.CLOSED;
      },
      (err) => {
        if (err !== null) connection.fail(err);
        else if (connection.isInflating) connection.inflateEnd();
        done();
      },
    );
  }

  /**
   * Sends one message, compressed when it reaches the threshold (RFC 7692 §6: RSV1 on its only
   * frame), in order with everything sent before.
   * @param opcode - TEXT or BINARY
   * @param data - the message (text already UTF-8); borrowed until sent, never modified
   */
  send(opcode: number, data: Uint8Array): void {
    if (!this.#plainOnly && this.#deflate.shouldCompress(data.length)) {
      const entry: Entry = { kind: 'compress', bytes: data.length, opcode, payload: null, ready: false, failed: false };
      this.#push(entry);
      this.#deflate.compress(data, (err, payload) => {
        entry.ready = true;
        if (err !== null || payload === null) entry.failed = true;
        else entry.payload = payload;
        this.#pump();
      });
      return;
    }
    if (!this.isBusy) {
      this.#sendPlain(opcode, data);
      return;
    }
    this.#push({ kind: 'plain', bytes: data.length, opcode, data });
  }

  /**
   * Sends one broadcast message: compressed once with every connection of the same window bits
   * when this side has `no_context_takeover`, by this connection's own deflater otherwise, or the
   * shared uncompressed frame below the threshold.
   * @param frame - the uncompressed frame serialized once for all connections
   * @param size - its bytes
   * @param compression - the broadcast's shared compressed forms
   */
  sendBroadcast(frame: Uint8Array[], size: number, compression: BroadcastCompression): void {
    const payload = compression.payload;
    if (this.#plainOnly || !this.#deflate.shouldCompress(payload.length)) {
      if (!this.isBusy) {
        this.#connection.sendPrebuilt(frame);
        this.#hooks.queued();
      } else {
        this.#push({ kind: 'prebuilt', bytes: size, frame, size });
      }
      return;
    }
    if (!this.#deflate.compressesWithoutContext || this.#client) {
      this.send(compression.opcode, payload);
      return;
    }
    const shared = compression.frameFor(this.#deflate.deflateWindowBits);
    if (shared.frame !== null && !this.isBusy) {
      this.#connection.sendPrebuilt(shared.frame);
      this.#hooks.queued();
      return;
    }
    this.#push({ kind: 'shared', bytes: payload.length, shared });
    if (!shared.settled) shared.whenSettled(() => this.#pump());
  }

  /**
   * Runs `fn` once every message sent before has been handed to the core (at once when none
   * waits): a close must follow the messages sent before it.
   * @param fn - e.g. `() => connection.close(code, reason)`
   */
  afterSends(fn: () => void): void {
    if (!this.isBusy) fn();
    else this.#push({ kind: 'run', bytes: 0, fn });
  }

  /**
   * Drops the messages still waiting (for a compression, or behind one): a consumer being dropped
   * gets its last message and the Close first. Queued callbacks ({@link afterSends}) still run, in
   * order. A compression in flight finishes into nothing. Later messages go uncompressed (RFC 7692
   * §6.1 allows it): with context takeover the peer's inflater would lack what was dropped.
   * @returns the bytes dropped
   */
  discardQueued(): number {
    if (this.#closed) return 0;
    this.#plainOnly = true;
    const dropped = this.#pendingBytes;
    const runs: Entry[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      if (entry.kind === 'run') runs.push(entry);
    }
    this.#queue = runs;
    this.#head = 0;
    this.#pendingBytes = 0;
    this.#pump();
    return dropped;
  }

  /** The connection is gone: drops queued sends and releases zlib memory. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    this.#pendingBytes = 0;
    this.#deflate.close();
  }

  #push(entry: Entry): void {
    if (this.#closed) return;
    this.#queue.push(entry);
    this.#pendingBytes += entry.bytes;
  }

  /** Hands every ready entry at the head of the queue to the core, in order. */
  #pump(): void {
    if (this.#closed) return;
    const connection = this.#connection;
    let wrote = false;
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (entry.kind === 'compress' && !entry.ready) break;
      if (entry.kind === 'shared' && !entry.shared.settled) break;
      this.#queue[this.#head] = undefined as unknown as Entry;
      this.#head++;
      this.#pendingBytes -= entry.bytes;
      switch (entry.kind) {
        case 'compress':
          if (entry.failed) {
            // zlib failed on our own data: nothing the peer did; 1011 with a generic reason.
            if (connection.readyState === 1) connection.fail(1011, 'Compression failed');
          } else if (connection.canSend) {
            const payload = entry.payload!;
            // The client core masks borrowed payloads into a copy; this one is ours, so it may be masked in place.
            connection.sendFrame(entry.opcode, payload, { rsv1: true });
            wrote = true;
          }
          break;
        case 'plain':
          if (connection.canSend) {
            this.#sendPlain(entry.opcode, entry.data, false);
            wrote = true;
          }
          break;
        case 'prebuilt':
          if (connection.canSend) {
            connection.sendPrebuilt(entry.frame);
            wrote = true;
          }
          break;
        case 'shared': {
          const shared = entry.shared;
          if (shared.frame === null) {
            if (connection.readyState === 1) connection.fail(1011, 'Compression failed');
          } else if (connection.canSend) {
            connection.sendPrebuilt(shared.frame);
            wrote = true;
          }
          break;
        }
        case 'run':
          entry.fn();
          wrote = true;
          break;
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      this.#pendingBytes = 0;
    }
    if (wrote) this.#hooks.queued();
  }

  #sendPlain(opcode: number, data: Uint8Array, notify = true): void {
    const connection = this.#connection;
    const bytes = this.#client ? plainView(data) : data;
    if (opcode === Opcode.TEXT) connection.sendText(bytes);
    else connection.sendBinary(bytes);
    if (notify) this.#hooks.queued();
  }
}
