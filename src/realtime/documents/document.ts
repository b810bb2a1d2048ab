// Realtime documents: one loaded document: its content (a Y.Doc, or one encoded update while it hibernates:
// content.ts) and awareness, the peers holding it on this node (member.ts), fan-out to them, and the cross-node and
// store side effects of a local change.
import { randomInt } from 'node:crypto';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { ErrorCode, type DocKind } from '../../messages/index.ts';
import type { NamespaceConfig } from '../namespaces.ts';
import type { SessionTransport } from '../transport.ts';
import { DocumentContent } from './content.ts';
import { DocumentFanout } from './fanout.ts';
import { Member } from './member.ts';
import type { DocumentPeer } from './peer.ts';
import { addsNothing, inspectUpdate, type UpdateShape } from './validate.ts';

/** Awareness client ids one peer may hold in one document (a tab has one per document; a few more for reloads). */
export const MAX_AWARENESS_IDS_PER_PEER = 8;

/** Origins of changes that did not come from a local peer. */
export const REMOTE = Symbol('remote node');
export const STORE = Symbol('store');
const LEAVE = Symbol('peer left');

/** What a document needs from its registry. */
export interface DocumentHost {
  /** Publishes a local change to the other nodes (fan-out only). */
  broadcast(name: string, kind: 'update' | 'awareness', bytes: Uint8Array): void;
  /** Stores a local update (appended in order; compaction follows the namespace's policy). */
  persist(document: LiveDocument, update: Uint8Array): void;
  /** An update was applied (metrics). */
  applied(bytes: number): void;
  /** Sends one frame to many transports, serializing it once (the engine's broadcast). */
  deliver(frame: string | Uint8Array, transports: SessionTransport[]): void;
}

/**
 * A document loaded on this node. Changes have an origin: a local {@link Member} (fanned out to the others here,
 * broadcast to other nodes and stored), {@link REMOTE} (from another node, which stored it: fanned out here only) or
 * {@link STORE} (read back from the store: fanned out here only).
 */
export class LiveDocument {
  readonly name: string;
  readonly config: NamespaceConfig;
  readonly members = new Map<string, Member>();
  /** Stored size: snapshot plus updates since, as this node knows it (the `documentMaxBytes` check). */
  bytes = 0;
  /** Updates and their bytes stored since the last compaction (the compaction policy). */
  readonly sinceCompaction = { updates: 0, bytes: 0 };
  state: 'loading' | 'ready' | 'failed' | 'unloaded' = 'loading';
  /** Settles when loading ended (ready or failed); set by the registry when it starts the load. */
  ready: Promise<void> = Promise.resolve();
  /** The store writes of this document, chained in order. */
  writes: Promise<void> = Promise.resolve();
  idleTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #host: DocumentHost;
  /** Whether the last transaction changed the document, and the state before it (set by its afterTransaction). */
  #changed = false;
  #before: Map<number, number> | null = null;
  readonly #fanout: DocumentFanout;
  /** The Y.Doc, or its encoded state while the document hibernates. */
  readonly #content: DocumentContent;
  /** Created on first use: most documents never see a cursor, and each awareness runs its own 3 s sweep timer. */
  #awareness: awarenessProtocol.Awareness | null = null;

  /**
   * @param name The document's channel name.
   * @param config Its namespace's configuration (limits).
   * @param host The registry.
   */
  constructor(name: string, config: NamespaceConfig, host: DocumentHost) {
    this.name = name;
    this.config = config;
    this.#host = host;
    this.#fanout = new DocumentFanout(name, this.members, config.documentFanoutBatchMs, host);
    // No 'update' listener: with one, Yjs re-encodes every transaction's changes. The bytes applied are handed on
    // as they came instead (see #apply), and this tells whether they changed anything.
    this.#content = new DocumentContent(name, config.documentHibernateMs, (transaction: Y.Transaction) => {
      this.#before = transaction.beforeState;
      this.#changed = changedBy(transaction);
    });
  }

  /** The Y.Doc (a hibernated document wakes: prefer the reads below, which do not). */
  get doc(): Y.Doc {
    return this.#content.doc;
  }

  /** Whether the document is encoded: its content held as updates, no Y.Doc (content.ts). */
  get hibernated(): boolean {
    return this.#content.hibernated;
  }

  /** Encodes the document now (as its timer does `documentHibernateMs` after the last update that needed a Y.Doc). */
  hibernate(): void {
    this.#content.hibernate();
  }

  /**
   * Whether the document already holds everything an update brings (a read-only peer's `sync2` is then no attempt to
   * write); an encoded document answers from its encoded state when it can, without waking.
   * @param update A validated update.
   * @param shape Its shape (from `inspectUpdate`).
   */
  holds(update: Uint8Array, shape: UpdateShape): boolean {
    return this.#content.holds(update, shape) || addsNothing(this.#content.doc, update);
  }

  /** The whole document as one update (a compaction's snapshot), without waking it. */
  snapshot(): Uint8Array {
    return this.#content.snapshot();
  }

  /** The awareness states of the document's peers (created on first use). */
  get awareness(): awarenessProtocol.Awareness {
    if (this.#awareness === null) {
      // Not the Y.Doc: an Awareness reads only its `clientID` and `on('destroy')`, and must not keep a hibernated
      // document's Y.Doc in memory (the server never sets a state of its own under that id).
      const awareness = new awarenessProtocol.Awareness(awarenessHost() as unknown as Y.Doc);
      // The server has no cursor of its own; its 3 s outdated-state sweep must not keep the process alive.
      awareness.setLocalState(null);
      (awareness as unknown as { _checkInterval?: { unref?: () => void } })._checkInterval?.unref?.();
      awareness.on('update', (change: AwarenessChange, origin: unknown) => this.#onAwareness(change, origin));
      this.#awareness = awareness;
    }
    return this.#awareness;
  }

  /**
   * Adds a peer (greeted at once when the document is loaded, else once it is).
   * @param peer The connection.
   */
  add(peer: DocumentPeer): Member {
    const member = new Member(peer, this.config);
    this.members.set(peer.id, member);
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.state === 'ready') this.greet(member);
    return member;
  }

  /**
   * Removes a peer and its awareness states (the removal is broadcast here and to other nodes).
   * @param id The peer's id.
   * @returns Whether it was a member.
   */
  remove(id: string): boolean {
    const member = this.members.get(id);
    if (member === undefined) return false;
    this.members.delete(id);
    const ids = member.ownAwarenessIds();
    if (ids.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, ids, LEAVE);
    return true;
  }

  /** Sends the server's state vector (`sync1`) and the current awareness states to a member. */
  greet(member: Member): void {
    if (member.greeted) return;
    member.greeted = true;
    this.#send(member.peer, 'sync1', this.#content.stateVector());
    this.sendAwareness(member);
  }

  /** Sends a member every awareness state present (on open, and when a y-websocket client queries them). */
  sendAwareness(member: Member): void {
    if (this.#awareness === null) return;
    const states = [...this.#awareness.states.keys()];
    if (states.length > 0)
      this.#send(member.peer, 'awareness', awarenessProtocol.encodeAwarenessUpdate(this.awareness, states));
  }

  /**
   * Answers a peer's `sync1`: the updates it lacks.
   * @param member The peer.
   * @param stateVector Its (validated) state vector.
   */
  answerSync1(member: Member, stateVector: Uint8Array): void {
    this.#send(member.peer, 'sync2', this.#content.diff(stateVector));
  }

  /**
   * Applies a validated update from a member; fan-out, broadcast and storage follow (see `#apply`).
   * @param member The writer.
   * @param update A validated update.
   * @param shape Its shape (from `inspectUpdate`, which validated it).
   * @returns false when Yjs threw while integrating (reported by the caller).
   */
  applyLocal(member: Member, update: Uint8Array, shape: UpdateShape): boolean {
    try {
      this.#apply(update, member, shape);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Applies a validated awareness update from a member, after checking it sets few enough client ids.
   * @param member The peer.
   * @param update The bytes.
   * @param clientIds The ids the update names (from `parseAwarenessUpdate`).
   * @returns null when applied, else the refusal.
   */
  applyAwareness(
    member: Member,
    update: Uint8Array,
    clientIds: readonly number[],
  ): { code: ErrorCode; message: string } | null {
    const ids = new Set(member.ownAwarenessIds());
    for (const id of clientIds) {
      // Another peer's id (here) is not this peer's to change: y-websocket allows it, we refuse it.
      if (!ids.has(id) && this.#ownerOf(id) !== null) {
        return { code: ErrorCode.FORBIDDEN, message: 'Cannot update awareness: the client id belongs to another peer' };
      }
      ids.add(id);
    }
    if (ids.size > MAX_AWARENESS_IDS_PER_PEER) {
      return {
        code: ErrorCode.INVALID_MESSAGE,
        message: `Cannot update awareness: at most ${MAX_AWARENESS_IDS_PER_PEER} client ids per connection`,
      };
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, member);
    return null;
  }

  /**
   * Applies an update or awareness update another node broadcast (it stored it; this node only fans out).
   * @param kind What it is.
   * @param bytes The bytes (from a node sharing the broker: checked anyway, a bad one is dropped).
   * @returns Whether it applied.
   */
  applyRemote(kind: 'update' | 'awareness', bytes: Uint8Array): boolean {
    try {
      if (kind === 'update') {
        const shape = inspectUpdate(bytes);
        if (shape === null) return false;
        this.#apply(bytes, REMOTE, shape);
      } else awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, REMOTE);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Applies the stored state (load, or the re-read before a compaction) in one Yjs transaction: a transaction per
   * entry cost a compaction of 500 updates about 10 ms (each one's cleanup walks the document), most of it for
   * updates the document already held. What changed is handed on to the greeted peers as one update, encoded against
   * the state before (it carries any parked structs and deletions too).
   * @param snapshot The compacted snapshot, or null.
   * @param updates The updates after it.
   * @returns How many stored entries failed to apply (corrupt storage; the rest is kept).
   */
  applyStored(snapshot: Uint8Array | null, updates: readonly Uint8Array[]): number {
    const entries = snapshot === null ? updates : [snapshot, ...updates];
    // An encoded document that surely holds all of them (the re-read before a compaction, usually: each is within
    // its state vector and what it deletes is deleted) stays encoded; otherwise they are applied to the Y.Doc at once.
    if (entries.length === 0 || entries.every((u) => this.#content.has(inspectUpdate(u)))) return 0;
    const doc = this.#content.doc;
    this.#content.touch();
    const store = doc.store;
    const pendingStructs = store.pendingStructs?.update ?? null;
    const pendingDs = store.pendingDs;
    this.#changed = false;
    this.#before = null;
    let failed = 0;
    doc.transact(() => {
      for (const bytes of entries) {
        try {
          Y.applyUpdate(doc, bytes, STORE);
        } catch {
          failed++;
        }
      }
    }, STORE);
    const before = this.#before;
    this.#before = null;
    const parked = (store.pendingStructs?.update ?? null) !== pendingStructs || store.pendingDs !== pendingDs;
    if ((this.#changed || parked) && before !== null && this.#fanout.hasRecipients())
      this.#onUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(before)), STORE);
    return failed;
  }

  /** Releases the Y.Doc and the awareness timer. */
  destroy(): void {
    this.state = 'unloaded';
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.#fanout.destroy();
    this.#awareness?.destroy();
    this.#content.destroy();
  }

  #ownerOf(clientId: number): Member | null {
    for (const member of this.members.values()) if (member.setAwareness(clientId)) return member;
    return null;
  }

  /**
   * Applies Yjs bytes and hands the same bytes on (fan-out, and for a member's: broadcast and storage) when they
   * changed the document or were parked by Yjs for a missing dependency (they must travel then too: the change they
   * carry appears once that dependency arrives, and the update that brings it does not repeat them). Bytes that
   * changed nothing go nowhere, as Yjs's own update event would have done. An encoded document takes an update that
   * only appends, or that it holds already, without a Y.Doc (content.ts); any other wakes it. If Yjs throws half-way
   * (a validated update should not), what did change is encoded against the state before and handed on, so no peer
   * or store misses it.
   */
  #apply(update: Uint8Array, origin: unknown, shape: UpdateShape): void {
    if (this.#content.hibernated) {
      const verdict = this.#content.append(update, shape);
      if (verdict === 'held') return;
      if (verdict === 'appended') {
        this.#onUpdate(update, origin);
        return;
      }
      // A joiner's sync2 with nothing new changes nothing: the document stays encoded.
      if (this.#content.holds(update, shape)) return;
    }
    // An update that only appends does not keep the Y.Doc awake: the document is encoded again after
    // documentHibernateMs without one that needed the Y.Doc.
    if (!this.#content.appendsTo(shape)) this.#content.touch();
    const doc = this.#content.doc;
    const store = doc.store;
    const pendingStructs = store.pendingStructs?.update ?? null;
    const pendingDs = store.pendingDs;
    this.#changed = false;
    this.#before = null;
    try {
      Y.applyUpdate(doc, update, origin);
    } catch (err) {
      const before = this.#before;
      if (this.#changed && before !== null)
        this.#onUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(before)), origin);
      throw err;
    } finally {
      this.#before = null;
    }
    if (this.#changed || (store.pendingStructs?.update ?? null) !== pendingStructs || store.pendingDs !== pendingDs)
      this.#onUpdate(update, origin);
  }

  #onUpdate(update: Uint8Array, origin: unknown): void {
    this.bytes += update.byteLength;
    this.#host.applied(update.byteLength);
    this.#fanout.send('update', update, origin);
    if (isMember(origin)) {
      this.#host.broadcast(this.name, 'update', update);
      this.#host.persist(this, update);
    }
  }

  #onAwareness(change: AwarenessChange, origin: unknown): void {
    const changed = [...change.added, ...change.updated, ...change.removed];
    if (changed.length === 0) return;
    const awareness = this.awareness;
    const encoded = awarenessProtocol.encodeAwarenessUpdate(awareness, changed);
    if (isMember(origin)) {
      for (const id of change.added) origin.awarenessIds.add(id);
      for (const id of change.updated) origin.awarenessIds.add(id);
      for (const id of change.removed) origin.awarenessIds.delete(id);
    }
    this.#fanout.send('awareness', encoded, origin);
    if (origin !== REMOTE) this.#host.broadcast(this.name, 'awareness', encoded);
    // A removed client's clock is no longer needed: dropping it keeps a churn of client ids from growing the map.
    for (const id of change.removed) awareness.meta.delete(id);
  }

  #send(peer: DocumentPeer, kind: DocKind, bytes: Uint8Array): void {
    peer.sendFrame(peer.frame(this.name, kind, bytes));
  }
}

interface AwarenessChange {
  readonly added: number[];
  readonly updated: number[];
  readonly removed: number[];
}

/** Yjs's own test of whether a transaction has something to send: deletions, or a client's clock moved. */
function changedBy(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) if (transaction.beforeState.get(client) !== clock) return true;
  return false;
}

/** What an Awareness needs of its Y.Doc: a client id (random, as Yjs draws it) and a `destroy` event (never fired). */
function awarenessHost(): { clientID: number; on(): void } {
  return { clientID: randomInt(UINT32_END), on() {} };
}

/** Exclusive upper bound of a Yjs client id (a uint32). */
const UINT32_END = 2 ** 32;

function isMember(origin: unknown): origin is Member {
  return origin instanceof Member;
}
