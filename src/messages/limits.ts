// Node-free application protocol: size limits and the channel-name rule, shared by server and browser client.

/**
 * Hard limits of protocol version 1. The server may configure tighter limits; it never accepts larger values.
 * Every limit exists so that a hostile peer's input costs bounded memory and time.
 */
export const Limits = {
  /** Default cap on one encoded frame, in bytes. Small enough that 1000 connections flooding cost < 64 MiB. */
  MAX_MESSAGE_SIZE: 65_536,
  /** Maximum nesting of arrays/objects in one client message, the envelope counting as 1. Checked before parsing. */
  MAX_DEPTH: 32,
  /**
   * Default cap on one server -> client frame as decoded by clients, in bytes. Larger than the client cap
   * because `subscribed` and history replies carry many publications; equal to the engine's default.
   */
  MAX_SERVER_MESSAGE_SIZE: 67_108_864,
  /**
   * Maximum nesting of a server message: the client limit plus 4, because a publication's `data` that sat at
   * depth 2 in `publish` sits at depth 5 in a history `reply` (reply, data, publications, publication, data).
   */
  MAX_SERVER_DEPTH: 36,
  /** Maximum length of a channel name, in UTF-16 code units (a Redis key stays well under 1 KiB). */
  MAX_CHANNEL_LENGTH: 255,
  /** Maximum length of a namespace (the part before the first `:`). */
  MAX_NAMESPACE_LENGTH: 64,
  /** Maximum length of a user id. */
  MAX_USER_LENGTH: 255,
  /** Maximum length of a client message id (publish/send `id`). */
  MAX_ID_LENGTH: 128,
  /** Maximum length of a token. RS256 JWTs with rich claims stay well under 8 KiB. */
  MAX_TOKEN_LENGTH: 8192,
  /** Maximum length of the client name in `connect`. */
  MAX_NAME_LENGTH: 128,
  /** Maximum length of an epoch string. */
  MAX_EPOCH_LENGTH: 64,
  /** Maximum number of messages in one `batch`. */
  MAX_BATCH: 32,
  /** Maximum `limit` of a `history` request. */
  MAX_HISTORY_LIMIT: 1000,
  /** Maximum length of an error message or disconnect reason (close reasons are further capped at 123 bytes). */
  MAX_REASON_LENGTH: 256,
  /** Largest request id (`rid`): an unsigned 32-bit integer. */
  MAX_RID: 4_294_967_295,
  /** Maximum length of an `rpc` method name (see {@link RPC_METHOD_NAME}). */
  MAX_RPC_METHOD_LENGTH: 64,
} as const;

/** An `rpc` method name: 1-64 of `A-Z a-z 0-9 _ . : -` (safe in logs, metrics and an error message that names it). */
export const RPC_METHOD_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

const NAMESPACE = /^[A-Za-z0-9_-]+$/;
// Control (Cc), format (Cf: bidi overrides, zero-width), lone surrogates (Cs), unassigned-private (Co), whitespace,
// and the Redis glob metacharacters `* ? [ ]` plus their escape `\`: a name is never usable as a pattern.
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Z}\s*?[\]\\]/u;

/** Standard base64 with padding, as `doc` messages carry Yjs bytes (one text per byte string). */
export const BASE64_TEXT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The kinds of `doc` message, y-protocols' own (the schema's enum and the hand checks share this list). */
export const DOC_KINDS = ['sync1', 'sync2', 'update', 'awareness'] as const;
const DOC_KIND_SET: ReadonlySet<unknown> = new Set(DOC_KINDS);

/** Whether a value is one of {@link DOC_KINDS}. */
export function isDocKind(value: unknown): value is (typeof DOC_KINDS)[number] {
  return DOC_KIND_SET.has(value);
}

/**
 * Checks the channel-name rule: `namespace:name`, where the namespace is 1-64 of `A-Z a-z 0-9 _ -` and the
 * name is non-empty, may contain further `:`, and contains no whitespace, control, format or private-use
 * characters, no lone surrogates and none of the glob characters `* ? [ ] \`. Total length at most
 * {@link Limits.MAX_CHANNEL_LENGTH} UTF-16 code units.
 *
 * @param channel Any value.
 * @returns true when `channel` is a valid channel name.
 * @example
 * isValidChannelName('chat:general'); // true
 * isValidChannelName('chat:*');       // false
 */
export function isValidChannelName(channel: unknown): channel is string {
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > Limits.MAX_CHANNEL_LENGTH) return false;
  const colon = channel.indexOf(':');
  if (colon < 1 || colon > Limits.MAX_NAMESPACE_LENGTH || colon === channel.length - 1) return false;
  if (!NAMESPACE.test(channel.slice(0, colon))) return false;
  return !FORBIDDEN_IN_NAME.test(channel.slice(colon + 1));
}

/**
 * The namespace of a valid channel name (the part before the first `:`).
 *
 * @param channel A name accepted by {@link isValidChannelName}.
 * @returns The namespace.
 * @throws {RangeError} When `channel` is not a valid channel name.
 */
export function channelNamespace(channel: string): string {
  if (!isValidChannelName(channel)) throw new RangeError('Cannot take the namespace: invalid channel name');
  return channel.slice(0, channel.indexOf(':'));
}

/**
 * Checks an identifier-like string used for user ids and client names: non-empty, at most `maxLength` code
 * units, no control, format or private-use characters and no lone surrogates.
 *
 * @param value Any value.
 * @param maxLength Maximum length in UTF-16 code units.
 * @returns true when `value` is acceptable.
 */
export function isPrintableString(value: unknown, maxLength: number): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= maxLength &&
    !/[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/u.test(value)
  );
}
