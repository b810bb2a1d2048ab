// Client SDK (Node-free), entry `switchboard/documents`: a Yjs document provider shaped like y-websocket's
// WebsocketProvider (`doc`, `awareness`, `synced`, `status` / `sync` events, `destroy()`) that rides on a Client's
// connection, reconnects and token refresh. The only client module that imports yjs, y-protocols and lib0, so the core
// client bundle stays free of them; importing it also adds `client.document()` to every Client.
import { fromBase64, toBase64 } from 'lib0/buffer';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { Client } from './client.ts';
import type { DocumentChannel, DocumentKind, DocumentMessage } from './document-channel.ts';
import { Emitter } from './emitter.ts';
import { ClientError } from './errors.ts';
import type { Subscription } from './subscription.ts';

/** The provider's connection state, as y-websocket names it. */
export type DocumentStatus = 'connecting' | 'connected' | 'disconnected';

/** Events of a {@link DocumentProvider}. */
export interface DocumentProviderEvents extends Record<string, unknown> {
  /** The connection state changed. */
  status: { readonly status: DocumentStatus };
  /** `synced` changed (true: the server's state has been applied since the last (re)subscribe). */
  sync: boolean;
  /** Same as `sync` (y-websocket emits both). */
  synced: boolean;
  /**
   * The server refused something of this document: a subscribe (`forbidden`, `not_found`, `too_many_documents`), an
   * update (`forbidden` for a read-only user, `document_too_large`, `message_too_large`, `rate_limited`,
   * `invalid_message`), or bytes from the server could not be applied (`invalid_message`).
   */
  error: { readonly code: string; readonly message: string };
}

/** Options of {@link createDocumentProvider}. */
export interface DocumentProviderOptions {
  /** The document to sync. @default a new Y.Doc */
  readonly doc?: Y.Doc;
  /** The awareness to share (cursors, names, colours). @default a new Awareness of `doc` (destroyed with the provider) */
  readonly awareness?: Awareness;
  /**
   * Keeps the document in the browser's IndexedDB too (y-indexeddb, database named after the channel), so it opens
   * offline and edits made offline survive a reload. Browsers only.
   * @default undefined: memory only, the server holds the document
   */
  readonly persistence?: 'indexeddb';
  /**
   * Local awareness changes within this long are sent as one message (a cursor moves on every key press).
   * @default 50: below what a person notices, and at most 20 awareness messages per second per editor
   */
  readonly awarenessThrottleMs?: number;
  /**
   * Local updates within this long after one was sent are merged into one message (the first goes out at once).
   * @default 50: a fast typist's keystrokes become at most 20 messages per second, under the server's default
   *   `documentUpdatesPerSecond` (30), at a cost of at most 50 ms of latency
   */
  readonly updateThrottleMs?: number;
  /** Subscribe at once. @default true */
  readonly connect?: boolean;
  /**
   * A `sync2` or `update` larger than this many bytes is sent in parts of at most this size (`more: true` on all but
   * the last), which the server joins before applying: an edit made offline can be far larger than the server's
   * `documentUpdateMaxBytes`, which bounds each message.
   * @default 16384: half the server's default `documentUpdateMaxBytes` (32 KiB), so a server configured lower still
   *   takes the parts; its base64 (22 KB) fits the default 64 KiB frame
   */
  readonly maxPartBytes?: number;
}

/** Most recent `rid`s remembered to recognise the server's refusals of this provider's messages. */
const REMEMBERED_RIDS = 64;
/** Wait before re-sending updates the server refused with `rate_limited`, in ms. @default 1000: the rate window */
const RATE_LIMITED_RETRY_MS = 1000;

/**
 * A Yjs document kept in sync over a Switchboard client, with the shape of y-websocket's `WebsocketProvider`.
 * Open it with {@link createDocumentProvider} or `client.document(channel)`.
 *
 * On every (re)subscribe it runs the state-vector exchange (`sync1` / `sync2`), so edits made while offline, which
 * simply accumulate in the Y.Doc, reach the server after the reconnect and nothing is lost. Local updates go out as
 * `update` while connected; local awareness changes go out throttled; remote ones are applied.
 */
export class DocumentProvider extends Emitter<DocumentProviderEvents> {
  /** The document channel, e.g. `doc:readme`. */
  readonly channel: string;
  /** The Yjs document. */
  readonly doc: Y.Doc;
  /** The awareness (presence of editors: cursors, names, colours). */
  readonly awareness: Awareness;
  readonly #client: Client;
  readonly #subscription: Subscription;
  readonly #channel: DocumentChannel;
  readonly #ownsAwareness: boolean;
  readonly #throttleMs: number;
  readonly #updateThrottleMs: number;
  readonly #maxPartBytes: number;
  /** Recent rids of sent messages, with the update bytes of `update`s (re-sent after a `rate_limited`). */
  readonly #sent = new Map<number, Uint8Array | null>();
  /** Local updates waiting for the throttle window to end. */
  #pending: Uint8Array[] = [];
  #updateTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #offs: (() => void)[] = [];
  #status: DocumentStatus = 'disconnected';
  #synced = false;
  #destroyed = false;
  #awarenessTimer: ReturnType<typeof setTimeout> | null = null;
  #persistence: { destroy(): unknown } | null = null;

  /**
   * @param client The client whose connection the document rides on.
   * @param channel The document channel.
   * @param options Document, awareness, persistence.
   */
  constructor(client: Client, channel: string, options: DocumentProviderOptions = {}) {
    super();
    this.channel = channel;
    this.#client = client;
    // First, since it may throw (a provider already open on the channel): nothing is created yet, no interval leaks.
    this.#channel = client.documentChannel(channel, (m) => this.#receive(m));
    this.doc = options.doc ?? new Y.Doc();
    this.#ownsAwareness = options.awareness === undefined;
    this.awareness = options.awareness ?? new Awareness(this.doc);
    this.#throttleMs = options.awarenessThrottleMs ?? 50;
    this.#updateThrottleMs = options.updateThrottleMs ?? 50;
    this.#maxPartBytes = Math.max(1, options.maxPartBytes ?? 16_384);
    this.#subscription = client.subscription(channel);
    this.doc.on('update', this.#onUpdate);
    this.awareness.on('update', this.#onAwareness);
    this.#offs.push(
      this.#subscription.on('subscribed', () => this.#subscribed()),
      this.#subscription.on('state', () => this.#updateStatus()),
      this.#subscription.on('unsubscribed', (e) => this.emit('error', { code: e.code, message: e.reason })),
      client.on('state', () => this.#updateStatus()),
      client.on('error', (e) => this.#refused(e)),
    );
    if (options.persistence === 'indexeddb') this.#persist();
    this.#updateStatus();
    if (options.connect !== false) this.connect();
  }

  /** The connection state. */
  get status(): DocumentStatus {
    return this.#status;
  }

  /** Whether the server's state has been applied since the last (re)subscribe. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Whether the document is subscribed (y-websocket's name). */
  get wsconnected(): boolean {
    return this.#status === 'connected';
  }

  /**
   * Subscribes to the document (again after {@link disconnect}); the subscription outlives reconnects. A refusal is
   * reported as an `error` event.
   */
  connect(): void {
    if (this.#destroyed) return;
    this.#subscription.subscribe().catch((err: unknown) => {
      if (this.#destroyed) return;
      const code = err instanceof ClientError ? err.code : 'internal';
      this.emit('error', { code, message: err instanceof Error ? err.message : String(err) });
    });
  }

  /** Unsubscribes (the document stays usable offline; {@link connect} syncs it again). */
  disconnect(): void {
    this.#sendLocalAwarenessRemoval();
    this.#client.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Leaves the document for good: tells the others this editor is gone, unsubscribes, detaches from the doc. */
  destroy(): void {
    if (this.#destroyed) return;
    this.disconnect();
    this.#destroyed = true;
    if (this.#awarenessTimer !== null) clearTimeout(this.#awarenessTimer);
    if (this.#updateTimer !== null) clearTimeout(this.#updateTimer);
    this.#awarenessTimer = null;
    this.#updateTimer = null;
    this.#pending = [];
    for (const off of this.#offs) off();
    this.#channel.close();
    this.doc.off('update', this.#onUpdate);
    this.awareness.off('update', this.#onAwareness);
    if (this.#ownsAwareness) this.awareness.destroy();
    this.#persistence?.destroy();
    this.#setSynced(false);
    this.#setStatus('disconnected');
  }

  /** @returns Whether it was sent (all of it, when in parts). */
  #send(kind: DocumentKind, bytes: Uint8Array): boolean {
    const size = this.#maxPartBytes;
    if ((kind === 'update' || kind === 'sync2') && bytes.byteLength > size) {
      // In parts: a refusal of any is reported; a rate-limited update is sent again whole (its last part holds it).
      for (let offset = 0; offset < bytes.byteLength; offset += size) {
        const last = offset + size >= bytes.byteLength;
        const rid = this.#channel.send(kind, toBase64(bytes.subarray(offset, offset + size)), !last);
        if (rid === null) return false;
        this.#remember(rid, last && kind === 'update' ? bytes : null);
      }
      return true;
    }
    const rid = this.#channel.send(kind, toBase64(bytes));
    if (rid === null) return false;
    this.#remember(rid, kind === 'update' ? bytes : null);
    return true;
  }

  #remember(rid: number, update: Uint8Array | null): void {
    this.#sent.set(rid, update);
    if (this.#sent.size > REMEMBERED_RIDS) this.#sent.delete(this.#sent.keys().next().value as number);
  }

  /** A refusal of one of our messages becomes an `error` event; rate-limited updates are sent again a bit later. */
  #refused(e: { readonly code: string; readonly message: string; readonly re?: number | undefined }): void {
    if (e.re === undefined || !this.#sent.has(e.re)) return;
    const update = this.#sent.get(e.re);
    this.#sent.delete(e.re);
    if (e.code === 'rate_limited' && update != null) {
      this.#pending.push(update);
      this.#updateTimer ??= setTimeout(() => this.#flushUpdates(), RATE_LIMITED_RETRY_MS);
    }
    this.emit('error', { code: e.code, message: e.message });
  }

  /** Sends the pending local updates as one (merged) update; offline they stay in the doc for the next sync. */
  #flushUpdates(): void {
    this.#updateTimer = null;
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length === 0 || this.#status !== 'connected') return;
    const merged = pending.length === 1 ? (pending[0] as Uint8Array) : Y.mergeUpdates(pending);
    this.#send('update', merged);
    // The window starts again: updates in the next throttle period wait for it.
    this.#updateTimer = setTimeout(() => this.#flushUpdates(), this.#updateThrottleMs);
  }

  /** Each (re)subscribe: our state vector (the server answers with what we lack) and our awareness state. */
  #subscribed(): void {
    this.#send('sync1', Y.encodeStateVector(this.doc));
    if (this.awareness.getLocalState() !== null)
      this.#send('awareness', encodeAwarenessUpdate(this.awareness, [this.doc.clientID]));
    this.#updateStatus();
  }

  #receive(message: DocumentMessage): void {
    if (this.#destroyed) return;
    try {
      const bytes = fromBase64(message.data);
      switch (message.kind) {
        case 'sync1':
          this.#send('sync2', Y.encodeStateAsUpdate(this.doc, bytes));
          break;
        case 'sync2':
          Y.applyUpdate(this.doc, bytes, this);
          this.#setSynced(true);
          break;
        case 'update':
          Y.applyUpdate(this.doc, bytes, this);
          break;
        case 'awareness':
          applyAwarenessUpdate(this.awareness, bytes, this);
          break;
      }
    } catch (err) {
      this.emit('error', {
        code: 'invalid_message',
        message: `Cannot apply the server's ${message.kind}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }

  /** Local updates go out while subscribed; offline ones wait in the doc for the next state-vector exchange. */
  readonly #onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || this.#status !== 'connected') return;
    this.#pending.push(update);
    if (this.#updateTimer === null) this.#flushUpdates();
  };

  readonly #onAwareness = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) return;
    const own = this.doc.clientID;
    if (!change.added.includes(own) && !change.updated.includes(own) && !change.removed.includes(own)) return;
    this.#awarenessTimer ??= setTimeout(() => {
      this.#awarenessTimer = null;
      if (this.#status === 'connected') this.#send('awareness', encodeAwarenessUpdate(this.awareness, [own]));
    }, this.#throttleMs);
  };

  #sendLocalAwarenessRemoval(): void {
    if (this.#destroyed || this.awareness.getLocalState() === null) return;
    removeAwarenessStates(this.awareness, [this.doc.clientID], this);
    if (this.#status === 'connected')
      this.#send('awareness', encodeAwarenessUpdate(this.awareness, [this.doc.clientID]));
  }

  #updateStatus(): void {
    if (this.#destroyed) return;
    const subscribed = this.#subscription.state === 'subscribed';
    const clientState = this.#client.state;
    const status: DocumentStatus = subscribed
      ? 'connected'
      : clientState === 'connecting' || (clientState === 'connected' && this.#subscription.state === 'subscribing')
        ? 'connecting'
        : 'disconnected';
    if (status !== 'connected' && this.#status === 'connected') {
      // Lost: the next subscribe syncs again; the others' cursors are stale until their states come back.
      this.#setSynced(false);
      const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
      removeAwarenessStates(this.awareness, others, this);
    }
    this.#setStatus(status);
  }

  #setStatus(status: DocumentStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', { status });
  }

  #setSynced(synced: boolean): void {
    if (synced === this.#synced) return;
    this.#synced = synced;
    this.emit('sync', synced);
    this.emit('synced', synced);
  }

  #persist(): void {
    if ((globalThis as { indexedDB?: unknown }).indexedDB === undefined)
      throw new ClientError('invalid_message', 'persistence "indexeddb" needs a browser with IndexedDB');
    import('y-indexeddb').then(
      ({ IndexeddbPersistence }) => {
        if (!this.#destroyed) this.#persistence = new IndexeddbPersistence(this.channel, this.doc);
      },
      (err: unknown) => this.emit('error', { code: 'internal', message: `y-indexeddb: ${String(err)}` }),
    );
  }
}

/**
 * Opens a document over a client: `createDocumentProvider(client, 'doc:readme')`.
 * @param client The client (its connection, reconnects and token refresh carry the document).
 * @param channel A channel in a namespace with `document` set.
 * @param options Document, awareness, persistence.
 * @returns The provider, subscribing.
 * @throws {ClientError} `invalid_message` when a provider is already open on the channel in this client.
 */
export function createDocumentProvider(
  client: Client,
  channel: string,
  options: DocumentProviderOptions = {},
): DocumentProvider {
  return new DocumentProvider(client, channel, options);
}

declare module './client.js' {
  interface Client {
    /**
     * Opens a document (added by importing `switchboard/documents`): same as {@link createDocumentProvider}.
     * @param channel A channel in a namespace with `document` set.
     * @param options Document, awareness, persistence.
     */
    document(channel: string, options?: DocumentProviderOptions): DocumentProvider;
  }
}

Client.prototype.document = function document(
  this: Client,
  channel: string,
  options?: DocumentProviderOptions,
): DocumentProvider {
  return new DocumentProvider(this, channel, options);
};
