// Ingest: payload codecs. A source hands over bytes; the mapping's codec turns them into the JSON value published on
// the channel, or says why it cannot (the runner then dead-letters the message as `undecodable`).
import { Unpackr } from 'msgpackr';
import { checkJsonValue, exceedsJsonDepth, type JsonValue } from '../messages/index.ts';

/** The payload codecs a mapping can name. */
export const PAYLOAD_CODECS = ['json', 'msgpack', 'text'] as const;
export type PayloadCodec = (typeof PAYLOAD_CODECS)[number];

/** Nesting depth past which a decoded payload is refused: deeper values are not price ticks but attacks on the stack. */
export const MAX_PAYLOAD_DEPTH = 64;

/** The outcome of {@link decodePayload}: the value, or why the bytes are not one. */
export type Decoded =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Plain objects and arrays only (no Map, no Date extension, no records shared across messages).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/**
 * Decodes a payload with a codec.
 * @param codec `json` (UTF-8 JSON text), `msgpack` (one MessagePack value) or `text` (UTF-8, published as a string).
 * @param bytes The raw payload.
 * @returns The JSON value, or a one-line reason it cannot be one.
 */
export function decodePayload(codec: PayloadCodec, bytes: Uint8Array): Decoded {
  let text: string;
  switch (codec) {
    case 'text':
      try {
        return { ok: true, value: utf8.decode(bytes) };
      } catch {
        return { ok: false, detail: 'not UTF-8 text' };
      }
    case 'json':
      try {
        text = utf8.decode(bytes);
      } catch {
        return { ok: false, detail: 'not UTF-8 text' };
      }
      if (exceedsJsonDepth(text, MAX_PAYLOAD_DEPTH))
        return { ok: false, detail: `nested deeper than ${MAX_PAYLOAD_DEPTH}` };
      try {
        return checked(JSON.parse(text) as unknown);
      } catch (err) {
        return { ok: false, detail: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
      }
    case 'msgpack':
      if (bytes.byteLength === 0) return { ok: false, detail: 'empty MessagePack payload' };
      try {
        return checked(unpackr.unpack(bytes) as unknown);
      } catch (err) {
        return { ok: false, detail: `not MessagePack: ${err instanceof Error ? err.message : String(err)}` };
      }
  }
}

function checked(value: unknown): Decoded {
  const problem = checkJsonValue(value, MAX_PAYLOAD_DEPTH);
  return problem === null ? { ok: true, value: value as JsonValue } : { ok: false, detail: problem };
}
