// Client SDK (Node-free): the small, generic hook a document provider (switchboard/documents) rides on: the `doc`
// messages of one channel routed to it, and a sender for its own. No Yjs here: the core client stays free of it.
import { ClientError } from './errors.ts';

/** A kind of document message, y-protocols' own (docs/protocol.md, "Documents"). */
export type DocumentKind = 'sync1' | 'sync2' | 'update' | 'awareness';

/** A `doc` message of the server for one document channel: Yjs bytes as standard base64. */
export interface DocumentMessage {
  readonly channel: string;
  readonly kind: DocumentKind;
  /** Standard base64 (RFC 4648 section 4, padded) of the Yjs bytes. */
  readonly data: string;
}

/** What {@link Client.documentChannel} hands a provider. */
export interface DocumentChannel {
  /**
   * Sends a `doc` message for the channel over the current connection, `quiet` (fire and forget: the server answers
   * only a refusal, and nothing waits for it).
   * @param kind The kind.
   * @param data Base64 Yjs bytes.
   * @param more A part of a larger `sync2` or `update`, more parts follow (docs/protocol.md, `doc`). @default false
   * @returns The message's `rid` (a refusal `error` of the server carries it as `re` and reaches the client's `error`
   *   event), or null when not sent (not connected).
   */
  send(kind: DocumentKind, data: string, more?: boolean): number | null;
  /** Stops routing the channel's messages to the handler. */
  close(): void;
}

/** The `doc` message handler of each channel a document provider opened on one client. */
export class DocumentChannels {
  readonly #handlers = new Map<string, (message: DocumentMessage) => void>();

  /**
   * Routes the channel's `doc` messages to `handler`.
   * @param send Sends one `doc` message of the channel now; see {@link DocumentChannel.send}.
   * @returns The channel's sender.
   * @throws {ClientError} `invalid_message` when the channel already has a handler (one provider per document and client).
   */
  open(channel: string, handler: (message: DocumentMessage) => void, send: DocumentChannel['send']): DocumentChannel {
    if (this.#handlers.has(channel))
      throw new ClientError('invalid_message', `A document provider is already open on "${channel}"`);
    this.#handlers.set(channel, handler);
    return {
      send,
      close: () => {
        if (this.#handlers.get(channel) === handler) this.#handlers.delete(channel);
      },
    };
  }

  /** Hands a `doc` message of the server to its channel's handler, if one is open. */
  route(message: DocumentMessage): void {
    this.#handlers.get(message.channel)?.(message);
  }
}
