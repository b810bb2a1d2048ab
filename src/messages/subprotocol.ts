// Node-free application protocol: the WebSocket subprotocols of protocol version 1 and the server's choice among them.

/** WebSocket subprotocols of protocol version 1 (`Sec-WebSocket-Protocol`). */
export const Subprotocol = {
  /** JSON in text frames. */
  JSON: 'switchboard.v1.json',
  /** MessagePack in binary frames. */
  MSGPACK: 'switchboard.v1.msgpack',
} as const;
/** One of the {@link Subprotocol} strings. */
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];

/**
 * Picks the subprotocol for a handshake: the first of the client's offers that this version speaks.
 *
 * @param offered The client's `Sec-WebSocket-Protocol` tokens, in its order of preference.
 * @returns The chosen subprotocol, or null when none is supported (the server then speaks JSON without echoing one).
 */
export function selectSubprotocol(offered: Iterable<string>): Subprotocol | null {
  for (const protocol of offered) {
    // The constant, not the offered token: that one is a slice of the request's header string, and the socket keeps
    // its protocol for its whole life (it held the whole request head: ~220 bytes per idle connection).
    if (protocol === Subprotocol.JSON) return Subprotocol.JSON;
    if (protocol === Subprotocol.MSGPACK) return Subprotocol.MSGPACK;
  }
  return null;
}
