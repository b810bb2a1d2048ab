// Realtime documents: the documents loaded on this node, and the checks every client message passes before it touches
// a document. Loading and unloading are in loading.ts, cross-node signals in links.ts, storage in document-writes.ts.
import type { Broker, DocumentStore } from '../../broker/index.ts';
import { ErrorCode, type DocKind } from '../../messages/index.ts';
import type { NamespaceConfig } from '../namespaces.ts';
import type { RealtimeObserver } from '../observer.ts';
import type { Permissions } from '../permissions.ts';
import type { SessionTransport } from '../transport.ts';
import { LiveDocument, type DocumentHost } from './document.ts';
import { DocumentWrites } from './document-writes.ts';
import { DocumentLinks } from './links.ts';
import { DocumentLoading } from './loading.ts';
import type { Member } from './member.ts';
import { UpdateParts } from './parts.ts';
import type { DocumentPeer } from './peer.ts';
import { decodeStateVector, inspectUpdate, parseAwarenessUpdate } from './validate.ts';

/** What the registry is built with. */
export interface DocumentRegistryOptions {
  readonly store: DocumentStore;
  readonly broker: Broker;
  readonly permissions: Permissions;
  readonly observer: RealtimeObserver;
  /** This node's id: a node ignores its own broadcasts (it applied them already). */
  readonly node: string;
  /**
   * Sends one frame to many transports, serializing it once (the hub's channel fan-out, the engine's broadcast).
   * Default: each transport's own `send`.
   */
  readonly broadcast?: (frame: string | Uint8Array, transports: Iterable<SessionTransport>) => number;
}

/** Document figures for `stats`, `/health` and metrics. */
export interface DocumentStats {
  /** Documents loaded on this node (open or idle, not yet unloaded). */
  readonly documents: number;
  /** Of those, the hibernated ones: content held as one encoded update, no Y.Doc (`documentHibernateMs`). */
  readonly documentsHibernated: number;
  /** Document holds (a connection with a document open) on this node. */
  readonly documentPeers: number;
  /** Updates applied to loaded documents since start (local, remote and stored). */
  readonly documentUpdates: number;
  /** Bytes of those updates. */
  readonly documentUpdateBytes: number;
}

/** The documents of one node. */
export class DocumentRegistry {
  readonly #options: DocumentRegistryOptions;
  readonly #docs = new Map<string, LiveDocument>();
  /** Loading, unloading and other nodes' signals (loading.ts). */
  readonly #loading: DocumentLoading;
  readonly #host: DocumentHost;
  /** Appends and compactions (document-writes.ts). */
  readonly #writes: DocumentWrites;
  /** Large updates arriving in parts (parts.ts). */
  readonly #parts = new UpdateParts();
  #updates = 0;
  #updateBytes = 0;
  #closed = false;

  /** @param options Store, broker, permissions, observer and node id. */
  constructor(options: DocumentRegistryOptions) {
    this.#options = options;
    const links = new DocumentLinks(options.broker, options.node, options.observer);
    this.#writes = new DocumentWrites(options.store, options.observer, (document, bytes) =>
      links.compacted(document.name, bytes),
    );
    this.#loading = new DocumentLoading(this.#docs, options.store, options.observer, links, this.#writes);
    this.#host = {
      broadcast: (name, kind, bytes) => links.change(name, kind, bytes),
      persist: (document, update) => this.#writes.persist(document, update),
      applied: (bytes) => {
        this.#updates++;
        this.#updateBytes += bytes;
      },
      deliver:
        options.broadcast ??
        ((frame, transports) => {
          for (const transport of transports) transport.send(frame);
        }),
    };
  }

  /** Figures for stats and metrics. */
  stats(): DocumentStats {
    let peers = 0;
    let hibernated = 0;
    for (const d of this.#docs.values()) {
      peers += d.members.size;
      if (d.hibernated) hibernated++;
    }
    return {
      documents: this.#docs.size,
      documentsHibernated: hibernated,
      documentPeers: peers,
      documentUpdates: this.#updates,
      documentUpdateBytes: this.#updateBytes,
    };
  }

  /**
   * The loaded document of a channel, if any (for tests and admin tools).
   * @param name Channel name.
   */
  get(name: string): LiveDocument | undefined {
    return this.#docs.get(name);
  }

  /**
   * A peer opens a document: loads it on first open, then sends the peer the server's `sync1` and awareness.
   * The caller has checked the read permission.
   * @param peer The connection.
   * @param name The document's channel name.
   * @param config Its namespace's configuration.
   */
  join(peer: DocumentPeer, name: string, config: NamespaceConfig): void {
    if (this.#closed) {
      peer.lost(ErrorCode.NOT_AVAILABLE, 'Cannot open the document: the server is shutting down');
      return;
    }
    let document = this.#docs.get(name);
    if (document === undefined) {
      document = new LiveDocument(name, config, this.#host);
      this.#docs.set(name, document);
      this.#loading.load(document).catch((err: unknown) => this.#options.observer.internalError?.(err));
    }
    document.add(peer);
  }

  /**
   * A peer closes a document (unsubscribe, close): its awareness states are removed and broadcast; a document left
   * without peers is unloaded after its namespace's `documentIdleUnloadMs`.
   * @param peerId The peer's id.
   * @param name The document's channel name.
   */
  leave(peerId: string, name: string): void {
    this.#parts.drop(peerId, name);
    const document = this.#docs.get(name);
    if (document === undefined || !document.remove(peerId)) return;
    if (document.members.size === 0) this.#loading.armUnload(document);
  }

  /**
   * Whether a peer holds a document open here.
   * @param peerId The peer's id.
   * @param name The document's channel name.
   */
  holds(peerId: string, name: string): boolean {
    return this.#docs.get(name)?.members.has(peerId) ?? false;
  }

  /**
   * Handles one document message from a peer that holds the document: every check runs before the document is
   * touched, and every refusal is answered with its code.
   * @param peerId The peer's id.
   * @param name The document's channel name.
   * @param kind The message kind.
   * @param data The Yjs bytes (already base64-decoded).
   * @param rid The request id, if any.
   * @param more A part of a larger `sync2` or `update`, more parts to follow (parts.ts).
   * @param quiet The `rid` is answered only by a refusal: success sends no `reply` (docs/protocol.md, `doc`).
   * @returns false when the peer does not hold the document (the caller answers `not_subscribed`).
   */
  async receive(
    peerId: string,
    name: string,
    kind: DocKind,
    data: Uint8Array,
    rid?: number,
    more = false,
    quiet = false,
  ): Promise<boolean> {
    const document = this.#docs.get(name);
    const member = document?.members.get(peerId);
    if (document === undefined || member === undefined) return false;
    const peer = member.peer;
    const config = document.config;
    /** The rid a success is answered with: none when quiet (a refusal still carries `rid`). */
    const ack = quiet ? undefined : rid;
    if (data.byteLength > config.documentUpdateMaxBytes && kind !== 'sync1') {
      peer.refuse(
        ErrorCode.MESSAGE_TOO_LARGE,
        `Cannot apply the ${kind}: larger than ${config.documentUpdateMaxBytes} bytes`,
        rid,
      );
      return true;
    }
    if (more && kind !== 'sync2' && kind !== 'update') {
      peer.refuse(
        ErrorCode.INVALID_MESSAGE,
        `Cannot take a ${kind} in parts: only sync2 and update come in parts`,
        rid,
      );
      return true;
    }
    if (kind === 'awareness') {
      this.#awareness(document, member, data, rid, ack);
      return true;
    }
    if (kind === 'sync1') {
      const stateVector = decodeStateVector(data);
      if (stateVector === null) {
        peer.refuse(ErrorCode.INVALID_MESSAGE, 'Cannot read the sync1: not a Yjs state vector', rid);
        return true;
      }
      if (!(await this.#loaded(document, member))) return true;
      document.answerSync1(member, stateVector);
      peer.accepted(ack);
      return true;
    }
    let update = data;
    if (more || this.#parts.has(peerId)) {
      if (more && !this.#options.permissions.can(peer.identity, 'publish', name).ok) {
        this.#parts.drop(peerId);
        peer.refuse(ErrorCode.FORBIDDEN, 'Cannot change the document: the user may only read it', rid);
        return true;
      }
      const outcome = this.#parts.add(peerId, name, kind, data, more, config.documentMaxBytes - document.bytes);
      if ('refused' in outcome) {
        peer.refuse(outcome.refused.code, outcome.refused.message, rid);
        return true;
      }
      if ('held' in outcome) {
        peer.accepted(ack);
        return true;
      }
      update = outcome.whole;
    }
    await this.#update(document, member, kind, update, rid, ack);
    return true;
  }

  /**
   * Sends a peer every awareness state of a document it holds (y-websocket's "query awareness").
   * @param peerId The peer's id.
   * @param name The document's channel name.
   */
  sendAwareness(peerId: string, name: string): void {
    const document = this.#docs.get(name);
    const member = document?.members.get(peerId);
    if (document !== undefined && member?.greeted === true) document.sendAwareness(member);
  }

  /** Flushes pending store writes, stops listening to the broker and drops every document. */
  async close(): Promise<void> {
    this.#closed = true;
    const docs = [...this.#docs.values()];
    await Promise.all(docs.map((d) => this.#loading.unload(d, true)));
  }

  /** `rid` goes with a refusal, `ack` (undefined when quiet) with the reply of a success. */
  async #update(
    document: LiveDocument,
    member: Member,
    kind: 'sync2' | 'update',
    data: Uint8Array,
    rid: number | undefined,
    ack: number | undefined,
  ) {
    const peer = member.peer;
    const config = document.config;
    if (!member.tryUpdate()) {
      this.#options.observer.rateLimited?.('messages');
      peer.refuse(
        ErrorCode.RATE_LIMITED,
        `Cannot apply the ${kind}: more than ${config.documentUpdatesPerSecond} per second`,
        rid,
      );
      return;
    }
    const shape = inspectUpdate(data);
    if (shape === null) {
      peer.refuse(ErrorCode.INVALID_MESSAGE, `Cannot apply the ${kind}: not a valid Yjs update`, rid);
      return;
    }
    // A loaded document (the usual case) costs no wait: the member was looked up in this same turn.
    if (document.state !== 'ready' && !(await this.#loaded(document, member))) return;
    const allowed = this.#options.permissions.can(peer.identity, 'publish', document.name);
    if (!allowed.ok) {
      // A read-only client answers the server's sync1 like any other; when its answer changes nothing, it is no
      // attempt to write and is dropped quietly.
      if (kind === 'sync2' && document.holds(data, shape)) return;
      peer.refuse(ErrorCode.FORBIDDEN, 'Cannot change the document: the user may only read it', rid);
      return;
    }
    if (document.bytes + data.byteLength > config.documentMaxBytes) {
      peer.refuse(
        ErrorCode.DOCUMENT_TOO_LARGE,
        `Cannot apply the ${kind}: the document would exceed ${config.documentMaxBytes} bytes`,
        rid,
      );
      return;
    }
    const before = this.#writes.lastAppend(document);
    if (!document.applyLocal(member, data, shape)) {
      this.#options.observer.internalError?.(new Error(`A validated update failed to apply to ${document.name}`));
      peer.refuse(ErrorCode.INVALID_MESSAGE, `Cannot apply the ${kind}: Yjs refused it`, rid);
      return;
    }
    // The reply means stored: a client that leaves after it loses nothing if this node dies (docs/documents.md).
    const appended = this.#writes.lastAppend(document);
    if (rid !== undefined && appended !== undefined && appended !== before && !(await appended)) {
      peer.refuse(
        ErrorCode.BROKER_UNAVAILABLE,
        `Cannot store the ${kind}: the document store is unavailable (it is applied, and stored with a later compaction)`,
        rid,
      );
      return;
    }
    peer.accepted(ack);
  }

  #awareness(
    document: LiveDocument,
    member: Member,
    data: Uint8Array,
    rid: number | undefined,
    ack: number | undefined,
  ): void {
    const peer = member.peer;
    if (!member.awarenessRate.tryRemove()) {
      this.#options.observer.rateLimited?.('messages');
      peer.refuse(
        ErrorCode.RATE_LIMITED,
        `Cannot apply the awareness update: more than ${document.config.awarenessUpdatesPerSecond} per second`,
        rid,
      );
      return;
    }
    const entries = parseAwarenessUpdate(data);
    if (entries === null) {
      peer.refuse(ErrorCode.INVALID_MESSAGE, 'Cannot apply the awareness update: malformed', rid);
      return;
    }
    const refused = document.applyAwareness(
      member,
      data,
      entries.map((e) => e.clientId),
    );
    if (refused !== null) peer.refuse(refused.code, refused.message, rid);
    else peer.accepted(ack);
  }

  /** Waits for the document to load; false when it failed (the peer was told) or the peer left meanwhile. */
  async #loaded(document: LiveDocument, member: Member): Promise<boolean> {
    while (document.state === 'loading') await document.ready;
    return document.state === 'ready' && document.members.get(member.peer.id) === member;
  }
}
