// Node-free application protocol: JSON and MessagePack codecs that validate peer input and never throw on it.
import { Packr, Unpackr, type Options as MsgpackrOptions } from 'msgpackr';
import type { z } from 'zod';
import { asDocMessage } from './doc-message.ts';
import { ErrorCode } from './errors.ts';
import { Limits } from './limits.ts';
import { scanMsgpack } from './msgpack-scan.ts';
import { Subprotocol } from './subprotocol.ts';
import { checkJsonValue, exceedsJsonDepth, utf8Length } from './safe-value.ts';
import {
  CLIENT_MESSAGE_SCHEMAS,
  SERVER_MESSAGE_SCHEMAS,
  type BatchMessage,
  type ClientMessage,
  type ServerMessage,
  type SingleClientMessage,
} from './schemas.ts';

/** Why a frame or value was refused. `rid` is the request id when it could be read, for the `error` reply's `re`. */
export interface DecodeError {
  readonly code: ErrorCode;
  /** Sentence-case reason, at most `Limits.MAX_REASON_LENGTH` characters; never echoes peer data. */
  readonly message: string;
  readonly rid?: number;
}
/** Result of decoding or validating peer input: never an exception. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: DecodeError };

/** Limits applied while decoding. */
export interface CodecOptions {
  /**
   * Largest accepted frame, in bytes (UTF-8 bytes for text).
   * @default 65536 (`Limits.MAX_MESSAGE_SIZE`): chat and control traffic fit; a flood of maximal frames stays cheap.
   */
  readonly maxMessageSize?: number;
  /**
   * Deepest accepted nesting of arrays/objects, the message itself counting as 1.
   * @default 32 (`Limits.MAX_DEPTH`): leaves 31 levels to `data`, far from any stack limit.
   */
  readonly maxDepth?: number;
  /**
   * Largest accepted server -> client frame in `decodeServerMessage`, in bytes.
   * @default 67108864 (`Limits.MAX_SERVER_MESSAGE_SIZE`): a `subscribed` with a recovered history is large;
   * the client's engine limit bounds memory first anyway.
   */
  readonly maxServerMessageSize?: number;
  /**
   * Deepest accepted nesting in `decodeServerMessage`.
   * @default 36 (`Limits.MAX_SERVER_DEPTH`): any `data` a client could publish still fits inside a history reply.
   */
  readonly maxServerDepth?: number;
}

/** Resolved limits of one direction. */
interface DirectionLimits {
  readonly size: number;
  readonly depth: number;
}

function resolveLimits(options: CodecOptions): { client: DirectionLimits; server: DirectionLimits } {
  return {
    client: {
      size: positive(options.maxMessageSize ?? Limits.MAX_MESSAGE_SIZE, 'maxMessageSize'),
      depth: positive(options.maxDepth ?? Limits.MAX_DEPTH, 'maxDepth'),
    },
    server: {
      size: positive(options.maxServerMessageSize ?? Limits.MAX_SERVER_MESSAGE_SIZE, 'maxServerMessageSize'),
      depth: positive(options.maxServerDepth ?? Limits.MAX_SERVER_DEPTH, 'maxServerDepth'),
    },
  };
}

/** A codec for one subprotocol. Decoders never throw on peer input; encoders trust the caller's message. */
export interface Codec {
  readonly subprotocol: Subprotocol;
  /** Whether this codec's frames are binary (MessagePack) or text (JSON). Frames of the other kind are refused by the caller. */
  readonly binary: boolean;
  /** Decodes and validates one client -> server frame (used by the server). */
  decodeClientMessage(raw: string | Uint8Array): DecodeResult<ClientMessage>;
  /** Encodes one server -> client message (used by the server). Encode a fan-out message once and send the result to every subscriber. */
  encodeServerMessage(message: ServerMessage): string | Uint8Array;
  /** Encodes one client -> server message (used by the client SDK). */
  encodeClientMessage(message: ClientMessage): string | Uint8Array;
  /** Decodes and validates one server -> client frame (used by the client SDK; unknown keys are dropped, unknown types refused). */
  decodeServerMessage(raw: string | Uint8Array): DecodeResult<ServerMessage>;
}

/** Options of {@link validateClientMessage} and {@link validateServerMessage}. */
export interface ValidateOptions {
  /** @default 32 (`Limits.MAX_DEPTH`) for client messages, 36 (`Limits.MAX_SERVER_DEPTH`) for server messages. */
  readonly maxDepth?: number;
}

function fail(code: ErrorCode, message: string, rid?: number): { ok: false; error: DecodeError } {
  const text = message.length > Limits.MAX_REASON_LENGTH ? message.slice(0, Limits.MAX_REASON_LENGTH) : message;
  return { ok: false, error: rid === undefined ? { code, message: text } : { code, message: text, rid } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads a valid `rid` from an object's own property, without trusting anything else about it. */
function readRid(value: unknown): number | undefined {
  if (!isPlainObject(value) || !Object.hasOwn(value, 'rid')) return undefined;
  const rid = value['rid'];
  return Number.isSafeInteger(rid) && (rid as number) >= 0 && (rid as number) <= Limits.MAX_RID
    ? (rid as number)
    : undefined;
}

function describeIssue(type: string, error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const head = where === '' ? `Invalid "${type}" message` : `Invalid "${type}" message at ${where}`;
  if (issue === undefined) return head;
  const path = issue.path.map(String).join('.');
  // Unknown keys are peer data: name the object, never the key.
  const what = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  return `${head}: ${path === '' ? '' : `${path}: `}${what}`;
}

/** Validates one non-batch message; `where` names its place inside a batch ('' at top level). */
function validateSingle(value: unknown, where: string): DecodeResult<SingleClientMessage> {
  const rid = where === '' ? readRid(value) : undefined;
  const at = where === '' ? '' : ` at ${where}`;
  if (!isPlainObject(value)) return fail(ErrorCode.BAD_REQUEST, `Cannot accept the message${at}: not an object`, rid);
  const type = Object.hasOwn(value, 'type') ? value['type'] : undefined;
  if (typeof type !== 'string') return fail(ErrorCode.UNKNOWN_TYPE, `Missing message type${at}`, rid);
  if (type === 'doc') {
    const doc = asDocMessage(value);
    if (doc !== null) return { ok: true, message: doc };
  }
  const schema = CLIENT_MESSAGE_SCHEMAS.get(type);
  if (schema === undefined) return fail(ErrorCode.UNKNOWN_TYPE, `Unknown message type${at}`, rid);
  const parsed = schema.safeParse(value);
  if (!parsed.success) return fail(ErrorCode.INVALID_MESSAGE, describeIssue(type, parsed.error, where), rid);
  return { ok: true, message: parsed.data };
}

function validateBatch(value: Record<string, unknown>): DecodeResult<BatchMessage> {
  for (const key of Object.keys(value)) {
    if (key !== 'type' && key !== 'messages')
      return fail(ErrorCode.INVALID_MESSAGE, 'Invalid "batch" message: unknown field');
  }
  const items = value['messages'];
  if (!Array.isArray(items))
    return fail(ErrorCode.INVALID_MESSAGE, 'Invalid "batch" message: messages: expected array');
  if (items.length === 0 || items.length > Limits.MAX_BATCH) {
    return fail(
      ErrorCode.INVALID_MESSAGE,
      `Invalid "batch" message: messages: expected 1 to ${Limits.MAX_BATCH} messages`,
    );
  }
  const messages: SingleClientMessage[] = [];
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    const result = validateSingle(item, `messages.${i}`);
    // A batch is accepted whole or refused whole, with one error and no `re` (a batch carries no rid):
    // answering some inner requests and not others would leave the client guessing.
    if (!result.ok) return fail(ErrorCode.INVALID_MESSAGE, `Invalid "batch" message: ${result.error.message}`);
    messages.push(result.message);
  }
  return { ok: true, message: { type: 'batch', messages } };
}

/**
 * Validates an already-decoded client message (for example a parsed HTTP body): JSON-compatible data only,
 * no `__proto__` / `constructor` / `prototype` keys, bounded nesting, a known `type` and a strict schema.
 *
 * @param value Any value; it is not modified.
 * @param options Limits.
 * @returns The typed message, or an error with a stable code (`bad_request`, `unknown_type`, `invalid_message`).
 */
export function validateClientMessage(value: unknown, options: ValidateOptions = {}): DecodeResult<ClientMessage> {
  const unsafe = checkJsonValue(value, options.maxDepth ?? Limits.MAX_DEPTH);
  if (unsafe !== null) return fail(ErrorCode.BAD_REQUEST, unsafe, readRid(value));
  if (isPlainObject(value) && Object.hasOwn(value, 'type') && value['type'] === 'batch') return validateBatch(value);
  return validateSingle(value, '');
}

/**
 * Validates an already-decoded server message (used by clients). Unknown keys are dropped so that newer
 * servers can add fields; unknown types are refused with `unknown_type` so that clients can ignore them.
 *
 * @param value Any value; it is not modified.
 * @param options Limits.
 * @returns The typed message or an error.
 */
export function validateServerMessage(value: unknown, options: ValidateOptions = {}): DecodeResult<ServerMessage> {
  const unsafe = checkJsonValue(value, options.maxDepth ?? Limits.MAX_SERVER_DEPTH);
  if (unsafe !== null) return fail(ErrorCode.BAD_REQUEST, unsafe);
  if (!isPlainObject(value)) return fail(ErrorCode.BAD_REQUEST, 'Cannot accept the message: not an object');
  const type = Object.hasOwn(value, 'type') ? value['type'] : undefined;
  const schema = typeof type === 'string' ? SERVER_MESSAGE_SCHEMAS.get(type) : undefined;
  if (schema === undefined || typeof type !== 'string') return fail(ErrorCode.UNKNOWN_TYPE, 'Unknown message type');
  const parsed = schema.safeParse(value);
  if (!parsed.success) return fail(ErrorCode.INVALID_MESSAGE, describeIssue(type, parsed.error, ''));
  return { ok: true, message: parsed.data };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * What both codecs share: the limits of each direction, and decoding as parse (size, depth, syntax) then schema
 * validation. Subclasses supply the parse and the encoders.
 */
abstract class ValidatingCodec {
  readonly #limits: { readonly client: DirectionLimits; readonly server: DirectionLimits };

  /**
   * @param options Limits.
   * @throws {RangeError} When a limit is not a positive integer.
   */
  constructor(options: CodecOptions = {}) {
    this.#limits = resolveLimits(options);
  }

  /** Decodes a client-to-server frame: size, depth and syntax first, then the schema. */
  decodeClientMessage(raw: string | Uint8Array): DecodeResult<ClientMessage> {
    const parsed = this.parse(raw, this.#limits.client);
    return parsed.ok ? validateClientMessage(parsed.message, { maxDepth: this.#limits.client.depth }) : parsed;
  }

  /** Decodes a server-to-client frame: size, depth and syntax first, then the schema. */
  decodeServerMessage(raw: string | Uint8Array): DecodeResult<ServerMessage> {
    const parsed = this.parse(raw, this.#limits.server);
    return parsed.ok ? validateServerMessage(parsed.message, { maxDepth: this.#limits.server.depth }) : parsed;
  }

  /** Turns a frame into a plain value within `limits`, or a failure with an error code. */
  protected abstract parse(raw: string | Uint8Array, limits: DirectionLimits): DecodeResult<unknown>;
}

/**
 * JSON codec for the `switchboard.v1.json` subprotocol (text frames).
 *
 * @example
 * const codec = new JsonCodec();
 * const result = codec.decodeClientMessage('{"type":"ping","rid":1}');
 * if (result.ok) codec.encodeServerMessage({ type: 'reply', re: 1, data: { time: Date.now() } });
 */
export class JsonCodec extends ValidatingCodec implements Codec {
  readonly subprotocol = Subprotocol.JSON;
  readonly binary = false;

  /**
   * @returns JSON text for a text frame.
   * @throws {TypeError} When `data` holds a value JSON cannot carry (a BigInt, a cycle).
   */
  encodeServerMessage(message: ServerMessage): string {
    return JSON.stringify(message);
  }

  /** @returns JSON text for a text frame. */
  encodeClientMessage(message: ClientMessage): string {
    return JSON.stringify(message);
  }

  protected parse(raw: string | Uint8Array, limits: DirectionLimits): DecodeResult<unknown> {
    const { size, depth } = limits;
    let text: string;
    if (typeof raw === 'string') {
      // Each UTF-16 unit is 1 to 3 UTF-8 bytes: count exactly only when the cheap bounds cannot decide.
      if (raw.length > size || (raw.length * 3 > size && utf8Length(raw) > size)) {
        return fail(ErrorCode.TOO_LARGE, `Cannot accept a message larger than ${size} bytes`);
      }
      text = raw;
    } else {
      if (!(raw instanceof Uint8Array)) return fail(ErrorCode.BAD_REQUEST, 'Cannot decode the frame: expected text');
      if (raw.length > size) return fail(ErrorCode.TOO_LARGE, `Cannot accept a message larger than ${size} bytes`);
      try {
        text = utf8Decoder.decode(raw);
      } catch {
        return fail(ErrorCode.BAD_REQUEST, 'Cannot decode the frame: invalid UTF-8');
      }
    }
    // Depth is checked on the raw text, in one pass, before JSON.parse builds anything (AP-02).
    if (exceedsJsonDepth(text, depth)) return fail(ErrorCode.BAD_REQUEST, 'Cannot accept the message: nested too deep');
    try {
      return { ok: true, message: JSON.parse(text) as unknown };
    } catch {
      return fail(ErrorCode.BAD_REQUEST, 'Cannot decode the frame: invalid JSON');
    }
  }
}

// Records, structured clone and the other msgpackr extensions are off; undefined fields are left out like JSON does.
const PACKR_OPTIONS = {
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  variableMapSize: true,
  skipValues: [undefined],
} as MsgpackrOptions;
const UNPACKR_OPTIONS: MsgpackrOptions = {
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  structuredClone: false,
  moreTypes: false,
};

/**
 * MessagePack codec for the `switchboard.v1.msgpack` subprotocol (binary frames), on msgpackr.
 *
 * Input is first checked by a linear scanner that admits only the JSON-compatible subset (no extension
 * types, no binary values, string map keys, safe integers, finite floats) and refuses any declared length
 * larger than the bytes present, so msgpackr never sees a record definition or a preallocation request.
 */
export class MsgpackCodec extends ValidatingCodec implements Codec {
  readonly subprotocol = Subprotocol.MSGPACK;
  readonly binary = true;
  readonly #packr = new Packr(PACKR_OPTIONS);
  readonly #unpackr = new Unpackr(UNPACKR_OPTIONS);

  /**
   * @returns MessagePack bytes for a binary frame; a fresh buffer the caller owns.
   * @throws {Error} When `data` holds a value MessagePack cannot carry.
   */
  encodeServerMessage(message: ServerMessage): Uint8Array {
    return this.#packr.pack(message);
  }

  /** @returns MessagePack bytes for a binary frame; a fresh buffer the caller owns. */
  encodeClientMessage(message: ClientMessage): Uint8Array {
    return this.#packr.pack(message);
  }

  protected parse(raw: string | Uint8Array, limits: DirectionLimits): DecodeResult<unknown> {
    const { size, depth } = limits;
    if (!(raw instanceof Uint8Array)) return fail(ErrorCode.BAD_REQUEST, 'Cannot decode the frame: expected binary');
    if (raw.length > size) return fail(ErrorCode.TOO_LARGE, `Cannot accept a message larger than ${size} bytes`);
    const invalid = scanMsgpack(raw, { maxDepth: depth });
    if (invalid !== null) return fail(ErrorCode.BAD_REQUEST, invalid);
    try {
      return { ok: true, message: this.#unpackr.unpack(raw) as unknown };
    } catch {
      // The scanner admits only well-formed input; this is a second line of defence.
      return fail(ErrorCode.BAD_REQUEST, 'Cannot decode the frame: invalid MessagePack');
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`Cannot use ${name}: expected a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Creates the codec of a subprotocol.
 *
 * @param subprotocol The negotiated subprotocol; null or empty means JSON (no subprotocol negotiated).
 * @param options Limits.
 * @returns A new codec.
 * @throws {RangeError} For an unknown subprotocol or a bad limit.
 */
export function createCodec(subprotocol: string | null, options: CodecOptions = {}): Codec {
  if (subprotocol === null || subprotocol === '' || subprotocol === Subprotocol.JSON) return new JsonCodec(options);
  if (subprotocol === Subprotocol.MSGPACK) return new MsgpackCodec(options);
  throw new RangeError('Cannot create a codec: unknown subprotocol');
}
