// Realtime: what a session does with a frame before running it: decoding by the session's codec, and whether it counts
// as application traffic for the idle timeout.
import {
  type ClientMessage,
  type Codec,
  type DecodeError,
  ErrorCode,
  type SingleClientMessage,
} from '../messages/index.ts';

/**
 * Decodes one frame with the session's codec. docs/protocol.md §1: a frame of the wrong kind (binary on JSON, text on
 * MessagePack) is `bad_request`.
 * @param codec The session's codec.
 * @param raw A text frame (JSON) or a binary one (MessagePack).
 * @returns The message, or why it was refused.
 */
export function decodeFrame(
  codec: Codec,
  raw: string | Uint8Array,
): { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly error: DecodeError } {
  if ((typeof raw === 'string') === codec.binary) {
    return {
      ok: false,
      error: {
        code: ErrorCode.BAD_REQUEST,
        message: `Cannot accept a ${codec.binary ? 'text' : 'binary'} frame on ${codec.subprotocol}`,
      },
    };
  }
  return codec.decodeClientMessage(raw);
}

/**
 * Whether a decoded client message counts as application traffic for the idle timeout (a `ping` does not).
 * @param message A decoded message.
 * @returns False for a `ping`, or a batch of nothing but pings.
 */
export function isActivity(message: ClientMessage): boolean {
  if (message.type === 'batch') return message.messages.some((member: SingleClientMessage) => member.type !== 'ping');
  return message.type !== 'ping';
}
