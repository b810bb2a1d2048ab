// Realtime documents: a document's life on this node: loading it from the store (listening to other nodes first, so
// no update falls in between), applying what other nodes signal, and unloading it once nobody has held it open for
// its namespace's `documentIdleUnloadMs`.
import type { ChannelEvent, DocumentStore } from '../../broker/index.ts';
import { ErrorCode } from '../../messages/index.ts';
import type { RealtimeObserver } from '../observer.ts';
import { fromBase64 } from './bytes.ts';
import type { LiveDocument } from './document.ts';
import type { DocumentWrites } from './document-writes.ts';
import type { DocumentLinks } from './links.ts';
import type { DocumentSignal } from './signals.ts';

/** Loads, feeds and unloads the documents of one registry. */
export class DocumentLoading {
  readonly #docs: Map<string, LiveDocument>;
  readonly #store: DocumentStore;
  readonly #observer: RealtimeObserver;
  readonly #links: DocumentLinks;
  readonly #writes: DocumentWrites;

  /**
   * @param docs The registry's loaded documents (a document that fails to load or unloads leaves it).
   * @param store The document store.
   * @param observer Where failures are reported.
   * @param links The documents' broker subscriptions.
   * @param writes The documents' store writes.
   */
  constructor(
    docs: Map<string, LiveDocument>,
    store: DocumentStore,
    observer: RealtimeObserver,
    links: DocumentLinks,
    writes: DocumentWrites,
  ) {
    this.#docs = docs;
    this.#store = store;
    this.#observer = observer;
    this.#links = links;
    this.#writes = writes;
  }

  /**
   * Loads a new document: listens to other nodes, reads the store, then greets its members; on failure every member
   * is told and the document is dropped.
   */
  async load(document: LiveDocument): Promise<void> {
    const name = document.name;
    // The signal handler lives as long as the document and shares this scope's context: what only loading needs (the
    // buffered signals, the resolver) is dropped once loaded, so an idle document does not keep it.
    let buffered: DocumentSignal[] | null = [];
    const onSignal = (event: ChannelEvent): void => {
      const signal = this.#links.read(event);
      if (signal === null) return;
      if (document.state === 'loading') buffered?.push(signal);
      else if (document.state === 'ready') this.#applySignal(document, signal);
    };
    let resolveReady: (() => void) | null = null;
    document.ready = new Promise<void>((resolve) => {
      resolveReady = resolve;
    });
    try {
      // Listen first, then read: an update stored after the read reaches this node as a signal (applying one twice
      // is harmless: Yjs updates are idempotent).
      await this.#links.listen(document, onSignal);
      const stored = await this.#store.load(name);
      if (document.state !== 'loading') return;
      const failed = document.applyStored(stored.snapshot, stored.updates);
      if (failed > 0) this.#observer.internalError?.(new Error(`${failed} stored updates of ${name} failed to apply`));
      else this.#writes.loaded(document, stored.snapshot);
      document.bytes = stored.bytes;
      document.sinceCompaction.updates = stored.updates.length;
      document.sinceCompaction.bytes = stored.bytes - (stored.snapshot?.byteLength ?? 0);
      document.state = 'ready';
      for (const signal of buffered) this.#applySignal(document, signal);
      buffered = null;
      for (const member of document.members.values()) document.greet(member);
      if (document.members.size === 0) this.armUnload(document);
    } catch (err) {
      this.#observer.internalError?.(err);
      document.state = 'failed';
      if (this.#docs.get(name) === document) this.#docs.delete(name);
      this.#links.stop(document);
      const members = [...document.members.values()];
      document.members.clear();
      document.destroy();
      for (const member of members)
        member.peer.lost(ErrorCode.BROKER_UNAVAILABLE, 'Cannot open the document: its store is unavailable');
    } finally {
      buffered = null;
      (resolveReady as (() => void) | null)?.();
      resolveReady = null;
    }
  }

  /** Unloads the document after its `documentIdleUnloadMs` unless a peer opens it meanwhile (no-op while loading). */
  armUnload(document: LiveDocument): void {
    if (document.idleTimer !== null || document.state !== 'ready') return;
    document.idleTimer = setTimeout(() => {
      document.idleTimer = null;
      if (document.members.size === 0) this.unload(document, false).catch(() => {});
    }, document.config.documentIdleUnloadMs);
    document.idleTimer.unref?.();
  }

  /** Flushes the document's writes, then drops it unless a peer opened it meanwhile (or `force`). */
  async unload(document: LiveDocument, force: boolean): Promise<void> {
    await document.writes;
    if (!force && document.members.size > 0) return;
    if (this.#docs.get(document.name) === document) this.#docs.delete(document.name);
    this.#links.stop(document);
    document.members.clear();
    document.destroy();
  }

  #applySignal(document: LiveDocument, signal: DocumentSignal): void {
    if (signal.kind === 'compacted') {
      if (signal.bytes !== undefined) {
        document.bytes = signal.bytes;
        document.sinceCompaction.updates = 0;
        document.sinceCompaction.bytes = 0;
      }
      return;
    }
    if (signal.data === undefined) return;
    if (!document.applyRemote(signal.kind, fromBase64(signal.data)))
      this.#observer.internalError?.(new Error(`A remote ${signal.kind} of ${document.name} failed to apply`));
  }
}
