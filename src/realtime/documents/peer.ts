// Realtime documents: who holds a document open. A Switchboard session (`doc` messages) and a y-websocket connection
// (`/yjs/<name>`, binary frames) are both peers; the document sees only this interface.
import type { DocKind, ErrorCode } from '../../messages/index.ts';
import type { Identity } from '../auth/identity.ts';
import type { SessionTransport } from '../transport.ts';

/** One connection that has a document open. */
export interface DocumentPeer {
  /** The connection's id (unique on this node). */
  readonly id: string;
  /** Who it is now (a session's identity changes on `refresh`): write permission is checked against it per update. */
  readonly identity: Identity;
  /**
   * The frame format: peers with the same format receive the same frame bytes, so a fan-out encodes each message
   * once per format, not once per peer.
   */
  readonly format: string;
  /** Encodes one document message for this peer's format. */
  frame(channel: string, kind: DocKind, bytes: Uint8Array): string | Uint8Array;
  /** Sends a frame made by `frame` (of this peer's format). */
  sendFrame(frame: string | Uint8Array): void;
  /**
   * The transport a fan-out may hand this peer's frames to together with other peers' of the same format, so the
   * engine serializes each frame once for all of them; null when the peer is closed or must be sent to alone
   * (through `sendFrame`).
   */
  readonly transport: SessionTransport | null;
  /** A fan-out sent this peer a frame of `length` (in the units of `frameLength`) through `transport`. */
  fannedOut(length: number): void;
  /** Answers a refused message (an `error` with `code`, or the transport's equivalent). */
  refuse(code: ErrorCode, message: string, rid?: number): void;
  /** Acknowledges an applied message that carried a request id. */
  accepted(rid: number | undefined): void;
  /** The document could not be loaded (its store failed): the peer's hold on it ends with `code`. */
  lost(code: ErrorCode, reason: string): void;
}
