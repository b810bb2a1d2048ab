// Realtime documents: this node's link to the other nodes for each loaded document: one broker subscription on the
// document's signal channel (signals.ts), the signals this node sends on it and the ones it receives. A signal that
// nobody else could hear (the in-process broker, and no other handler on the channel) is not sent at all.
import type { Broker, ChannelEvent, ChannelHandler } from '../../broker/index.ts';
import type { RealtimeObserver } from '../observer.ts';
import { toBase64 } from './bytes.ts';
import type { LiveDocument } from './document.ts';
import { type DocumentSignal, readSignal, signalChannel } from './signals.ts';

/** A document's subscription: the handler belongs to one loaded document (a reload of the name gets its own). */
interface Link {
  readonly document: LiveDocument;
  readonly handler: ChannelHandler;
  /** The signal channel's name, built once: a string built per update is hashed again at each lookup. */
  readonly channel: string;
}

/** The broker subscriptions and signals of one registry's documents. */
export class DocumentLinks {
  readonly #broker: Broker;
  readonly #node: string;
  readonly #observer: RealtimeObserver;
  readonly #links = new Map<string, Link>();

  /**
   * @param broker The broker the nodes share.
   * @param node This node's id (a node ignores its own signals).
   * @param observer Where failed sends are reported.
   */
  constructor(broker: Broker, node: string, observer: RealtimeObserver) {
    this.#broker = broker;
    this.#node = node;
    this.#observer = observer;
  }

  /**
   * Listens to a document's signals from other nodes.
   * @param document The loaded document.
   * @param handler The document's broker handler: it reads each event with {@link read} (one closure per document,
   *   the caller's, instead of a wrapper around it).
   * @throws When the broker cannot subscribe (the caller fails the load, then calls {@link stop}).
   */
  async listen(document: LiveDocument, handler: ChannelHandler): Promise<void> {
    const channel = signalChannel(document.name);
    this.#links.set(document.name, { document, handler, channel });
    await this.#broker.subscribe(channel, handler);
  }

  /**
   * Reads a broker event of a document's signal channel.
   * @param event What the broker delivered.
   * @returns The signal, or null for this node's own signals and anything malformed.
   */
  read(event: ChannelEvent): DocumentSignal | null {
    return readSignal(event, this.#node);
  }

  /** Stops listening for a document (no-op when the name's link belongs to a newer load of it). */
  stop(document: LiveDocument): void {
    const link = this.#links.get(document.name);
    if (link === undefined || link.document !== document) return;
    this.#links.delete(document.name);
    this.#broker.unsubscribe(link.channel, link.handler).catch(() => {});
  }

  /**
   * Sends a local update or awareness update to the other nodes (fan-out only: this node stores it).
   * @param name The document's channel name.
   * @param kind What it is.
   * @param bytes The Yjs bytes.
   */
  change(name: string, kind: 'update' | 'awareness', bytes: Uint8Array): void {
    const link = this.#links.get(name);
    if (link !== undefined && this.#alone(link)) return;
    this.#send(link?.channel ?? signalChannel(name), { node: this.#node, kind, data: toBase64(bytes) });
  }

  /**
   * Tells the other nodes this node compacted a document (its new stored size, for their `documentMaxBytes` checks).
   * @param name The document's channel name.
   * @param bytes The snapshot's size.
   */
  compacted(name: string, bytes: number): void {
    const link = this.#links.get(name);
    if (link !== undefined && this.#alone(link)) return;
    this.#send(link?.channel ?? signalChannel(name), { node: this.#node, kind: 'compacted', bytes });
  }

  /** Whether no other handler can hear the document's signals (only the in-process broker can tell). */
  #alone(link: Link): boolean {
    return !this.#broker.othersListen(link.channel, link.handler);
  }

  #send(channel: string, signal: DocumentSignal): void {
    this.#broker.signal(channel, signal).catch((err: unknown) => {
      // The other nodes miss this change until their clients' next sync (state vectors bring it back).
      this.#observer.internalError?.(err);
    });
  }
}
