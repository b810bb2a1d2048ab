// Realtime: what carries a session's frames. A WebSocket is one; an SSE or long-polling transport can be another.

/**
 * One client connection's transport, seen from the session: it sends encoded frames and ends with a code. Frames
 * coming in are handed to `Session.receive`, the end of the transport to `Session.transportClosed`. The engine's
 * `WebSocket` satisfies this interface as it is.
 */
export interface SessionTransport {
  /** The peer's address (behind trusted proxies, the nearest untrusted one). */
  readonly remoteAddress: string;
  /**
   * What kind of transport this is, as the server logic is told (`LogicCaller.transport`): `sse`, `polling`; an engine
   * WebSocket is `websocket` without saying so, anything else unnamed is `other`.
   */
  readonly kind?: string;
  /** The negotiated subprotocol, '' when none was negotiated. */
  readonly protocol: string;
  /** Bytes queued and not yet written: slow-consumer policies read it. */
  readonly bufferedAmount: number;
  /**
   * Sends one encoded frame (text for JSON, bytes for MessagePack).
   * @param frame The encoded message.
   */
  send(frame: string | Uint8Array): unknown;
  /**
   * Drops what is queued and not yet written, so a slow consumer being dropped gets its last
   * message and the close first (the engine WebSocket's `discardQueued`). Transports without a
   * user-space queue leave it out.
   */
  discardQueued?(): unknown;
  /**
   * Ends the transport.
   * @param code A close code (a DisconnectCode, or an RFC 6455 code such as 1001).
   * @param reason The close reason, at most 123 bytes.
   */
  close(code: number, reason: string): void;
}
