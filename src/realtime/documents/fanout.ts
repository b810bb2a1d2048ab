// Realtime documents: one document's fan-out to the peers holding it on this node: each frame format encoded once,
// the peers with a transport served by one broadcast (the engine serializes the WebSocket frame once for all), and,
// the fan-outs of a document with many peers gathered over one event-loop turn and sent together (`auto`, the
// default), or with a `documentFanoutBatchMs` time, those of a busy document held that long.
import type { DocKind } from '../../messages/index.ts';
import { frameLength } from '../traffic.ts';
import type { SessionTransport } from '../transport.ts';
import type { DocumentPeer } from './peer.ts';

/**
 * `documentFanoutBatchMs: 'auto'`: a document gathers its fan-outs over one event-loop turn only with at least this
 * many peers on this node. A fan-out costs about one write per recipient; with few recipients the writes saved do
 * not pay for holding each message until the turn ends.
 */
export const AUTO_GATHER_MIN_PEERS = 8;

/** A namespace's `documentFanoutBatchMs`: a time in ms (0: never gather), or `auto`. */
export type FanoutBatch = number | 'auto';

/** A peer of the document as the fan-out sees it. */
export interface FanoutMember {
  readonly peer: DocumentPeer;
  /** Only greeted peers (sent the server's `sync1`) receive fan-outs. */
  readonly greeted: boolean;
}

/**
 * Sends one frame to many transports, serializing it once. An object rather than a function: the registry that every
 * document shares is one, so a loaded document holds no closure of its own for it.
 */
export interface Deliver {
  deliver(frame: string | Uint8Array, transports: SessionTransport[]): void;
}

/** The fan-out of one document. */
export class DocumentFanout {
  readonly #name: string;
  readonly #members: ReadonlyMap<string, FanoutMember>;
  readonly #batch: FanoutBatch;
  readonly #deliver: Deliver;
  /** Fan-outs held while the document is busy, in order, and the timer that sends them. */
  #held: { kind: DocKind; bytes: Uint8Array; origin: unknown }[] | null = null;
  #heldTimer: ReturnType<typeof setTimeout> | null = null;
  #heldImmediate: ReturnType<typeof setImmediate> | null = null;
  /** When the last fan-out left (performance.now()). */
  #lastAt = Number.NEGATIVE_INFINITY;

  /**
   * @param name The document's channel name.
   * @param members The document's members (read at each send).
   * @param batch The namespace's `documentFanoutBatchMs` (0: every fan-out leaves at once; `auto`: see
   *   {@link AUTO_GATHER_MIN_PEERS}).
   * @param deliver The broadcast (shared by documents).
   */
  constructor(name: string, members: ReadonlyMap<string, FanoutMember>, batch: FanoutBatch, deliver: Deliver) {
    this.#name = name;
    this.#members = members;
    this.#batch = batch;
    this.#deliver = deliver;
  }

  /**
   * Sends a message to every greeted member but `origin`. With `auto` and at least {@link AUTO_GATHER_MIN_PEERS}
   * members, the message is held until the end of the event-loop turn (setImmediate: after the reads of every
   * connection ready in this poll), and goes with every message held meanwhile, in order; the engine then writes
   * each connection's frames in one write. With a time, while the document is busy (the last fan-out left less than
   * that time ago), held until the time is up, likewise. Otherwise at once.
   * @param kind The message kind.
   * @param bytes The Yjs bytes.
   * @param origin The member it came from (not sent back to it), or anything else.
   */
  send(kind: DocKind, bytes: Uint8Array, origin: unknown): void {
    if (this.#held !== null) {
      this.#held.push({ kind, bytes, origin });
      return;
    }
    const batch = this.#batch;
    if (batch === 'auto') {
      if (this.#members.size >= AUTO_GATHER_MIN_PEERS) {
        this.#held = [{ kind, bytes, origin }];
        this.#heldImmediate = setImmediate(() => this.#sendHeld());
        return;
      }
    } else if (batch > 0) {
      const now = performance.now();
      const wait = this.#lastAt + batch - now;
      if (wait > 0) {
        this.#held = [{ kind, bytes, origin }];
        this.#heldTimer = setTimeout(() => this.#sendHeld(), Math.ceil(wait));
        this.#heldTimer.unref?.();
        return;
      }
      this.#lastAt = now;
    }
    this.#sendNow(kind, bytes, origin);
  }

  /** Whether any member would receive a fan-out now (one is greeted). */
  hasRecipients(): boolean {
    for (const member of this.#members.values()) if (member.greeted) return true;
    return false;
  }

  /** Drops what is held (the document is unloaded: nobody is left to receive it). */
  destroy(): void {
    if (this.#heldTimer !== null) clearTimeout(this.#heldTimer);
    if (this.#heldImmediate !== null) clearImmediate(this.#heldImmediate);
    this.#heldTimer = null;
    this.#heldImmediate = null;
    this.#held = null;
  }

  #sendHeld(): void {
    const held = this.#held;
    this.#held = null;
    this.#heldTimer = null;
    this.#heldImmediate = null;
    this.#lastAt = performance.now();
    if (held !== null) for (const { kind, bytes, origin } of held) this.#sendNow(kind, bytes, origin);
  }

  #sendNow(kind: DocKind, bytes: Uint8Array, origin: unknown): void {
    let first: Group | null = null;
    let others: Map<string, Group> | null = null;
    for (const member of this.#members.values()) {
      if (member === origin || !member.greeted) continue;
      const peer = member.peer;
      let group: Group | undefined;
      if (first !== null && first.format === peer.format) group = first;
      else if (first === null) group = first = groupOf(peer, this.#name, kind, bytes);
      else {
        others ??= new Map();
        group = others.get(peer.format);
        if (group === undefined) {
          group = groupOf(peer, this.#name, kind, bytes);
          others.set(peer.format, group);
        }
      }
      const transport = peer.transport;
      if (transport === null) peer.sendFrame(group.frame);
      else {
        group.transports.push(transport);
        peer.fannedOut(group.length);
      }
    }
    if (first !== null && first.transports.length > 0) this.#deliver.deliver(first.frame, first.transports);
    if (others !== null)
      for (const group of others.values())
        if (group.transports.length > 0) this.#deliver.deliver(group.frame, group.transports);
  }
}

/** One frame format's share of a fan-out: the frame, encoded once, and the transports it goes to. */
interface Group {
  readonly format: string;
  readonly frame: string | Uint8Array;
  readonly length: number;
  readonly transports: SessionTransport[];
}

function groupOf(peer: DocumentPeer, name: string, kind: DocKind, bytes: Uint8Array): Group {
  const frame = peer.frame(name, kind, bytes);
  return { format: peer.format, frame, length: frameLength(frame), transports: [] };
}
