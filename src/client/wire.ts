// Client SDK (Node-free): the wire formats the client speaks: the built-in JSON one (validated by the schema-free
// validator of switchboard/messages/core, so the browser bundle carries no schema library) or any Codec.
import {
  Subprotocol,
  decodeServerJson,
  type Codec,
  type ServerMessage,
  type SingleClientMessage,
} from '../messages/core.ts';

/** What the client needs from a wire format. A `Codec` from `switchboard/messages` (e.g. MessagePack) fits too. */
export interface ClientWire {
  readonly subprotocol: string;
  encode(message: SingleClientMessage): string | Uint8Array;
  /** The validated message, or null for anything malformed or unknown (docs/protocol.md §14: ignore). Never throws. */
  decode(raw: string | Uint8Array): ServerMessage | null;
}

/** The JSON subprotocol name (docs/protocol.md §1). */
export const JSON_SUBPROTOCOL = Subprotocol.JSON;

/**
 * The built-in JSON wire (text frames). Frames up to `Limits.MAX_SERVER_MESSAGE_SIZE` (64 MiB, protocol §11: a
 * `subscribed` with recovered history is large) and `Limits.MAX_SERVER_DEPTH` deep are accepted; it accepts exactly
 * what `JsonCodec.decodeServerMessage` accepts.
 */
export const jsonWire: ClientWire = {
  subprotocol: JSON_SUBPROTOCOL,
  encode: (message) => JSON.stringify(message),
  // Binary frames are not JSON (protocol §1).
  decode: (raw) => (typeof raw === 'string' ? decodeServerJson(raw) : null),
};

/**
 * Adapts a `Codec` from `switchboard/messages` (for example `createCodec(Subprotocol.MSGPACK)`) to the client.
 * @param codec The codec.
 * @returns A wire that never throws on peer input.
 */
export function codecWire(codec: Codec): ClientWire {
  return {
    subprotocol: codec.subprotocol,
    encode: (message) => codec.encodeClientMessage(message),
    decode(raw) {
      try {
        const result = codec.decodeServerMessage(raw);
        return result.ok ? result.message : null;
      } catch {
        return null;
      }
    },
  };
}

/**
 * The payload of a transport message event as the wire decodes it: text stays text, binary becomes a byte view.
 * @param data `event.data` (a string, an ArrayBuffer or a typed-array view).
 * @returns The frame, or null for anything else.
 */
export function frameData(data: unknown): string | Uint8Array | null {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
