// Realtime documents: a Switchboard session as a document peer: `doc` messages with base64 data, `error` replies.
import type { DocKind, ErrorCode } from '../../messages/index.ts';
import type { Identity } from '../auth/identity.ts';
import type { Session } from '../session.ts';
import { frameLength } from '../traffic.ts';
import type { SessionTransport } from '../transport.ts';
import { toBase64 } from './bytes.ts';
import type { DocumentPeer } from './peer.ts';

/**
 * Ends a peer's subscription to its document and tells the client why: one function per hub, shared by its peers.
 * @param peer The peer whose document is lost.
 * @param code The error code.
 * @param reason The reason sent to the client.
 */
export type PeerEnd = (peer: SessionPeer, code: ErrorCode, reason: string) => void;

/** `switchboard:<codec index>` by codec index: one string per codec, not a concatenation per peer. */
const FORMATS: string[] = [];

/** A session holding one document; `lost` ends the session's subscription to it through `end`. */
export class SessionPeer implements DocumentPeer {
  readonly session: Session;
  /** The document's channel. */
  readonly channel: string;
  readonly #end: PeerEnd;
  readonly format: string;

  /**
   * @param session The session (authenticated).
   * @param channel The document's channel.
   * @param end Ends the session's subscription to the document and tells the client why.
   */
  constructor(session: Session, channel: string, end: PeerEnd) {
    this.session = session;
    this.channel = channel;
    this.#end = end;
    const codec = session.codecIndex;
    FORMATS[codec] ??= `switchboard:${codec}`;
    this.format = FORMATS[codec];
  }

  get id(): string {
    return this.session.id;
  }

  get identity(): Identity {
    return this.session.identity!;
  }

  frame(channel: string, kind: DocKind, bytes: Uint8Array): string | Uint8Array {
    return this.session.codec.encodeServerMessage({ type: 'doc', channel, kind, data: toBase64(bytes) });
  }

  sendFrame(frame: string | Uint8Array): void {
    if (this.session.isClosed) return;
    this.session.transport.send(frame);
    this.session.traffic.sent(frameLength(frame));
  }

  get transport(): SessionTransport | null {
    return this.session.isClosed ? null : this.session.transport;
  }

  fannedOut(length: number): void {
    this.session.traffic.sent(length);
  }

  refuse(code: ErrorCode, message: string, rid?: number): void {
    this.session.error(code, message, rid);
  }

  accepted(rid: number | undefined): void {
    this.session.reply(rid, {});
  }

  lost(code: ErrorCode, reason: string): void {
    this.#end(this, code, reason);
  }
}
