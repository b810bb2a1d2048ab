// Node-free application protocol: a hand-written validator of server -> client messages that accepts exactly what
// the zod schemas (schemas.ts) accept, for bundles that must not carry a schema library (the browser client).
import { BASE64_TEXT, Limits, isDocKind, isValidChannelName } from './limits.ts';
import { checkJsonValue, exceedsJsonDepth, utf8Length } from './safe-value.ts';
import type {
  ConnectedMessage,
  DeletedMessage,
  HistoryItem,
  DisconnectMessage,
  DocEventMessage,
  ErrorMessage,
  JoinMessage,
  JsonValue,
  LeaveMessage,
  PresenceUser,
  Publication,
  PublicationsMessage,
  BatchedPublication,
  ReplyMessage,
  ServerMessage,
  SubscribedMessage,
  TypingEventMessage,
  UnsubscribedMessage,
} from './schemas.ts';

type Obj = Record<string, unknown>;

/** Longest error / unsubscribe `code` string a server message may carry (the schemas' bound). */
const MAX_CODE_LENGTH = 64;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string): boolean => Object.hasOwn(o, k) && o[k] !== undefined;
const isStr = (v: unknown, max: number, min = 0): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isRid = (v: unknown): v is number => isUint(v) && v <= Limits.MAX_RID;
const isChannel = (v: unknown): v is string => isValidChannelName(v);
const isEpoch = (v: unknown): v is string => isStr(v, Limits.MAX_EPOCH_LENGTH, 1) && PRINTABLE_ASCII.test(v);
const isMessageId = (v: unknown): v is string => isStr(v, Limits.MAX_ID_LENGTH, 1) && PRINTABLE_ASCII.test(v);
const isUser = (v: unknown): v is string => isStr(v, Limits.MAX_USER_LENGTH);
const isDocBytes = (v: unknown): v is string => isStr(v, Limits.MAX_SERVER_MESSAGE_SIZE) && BASE64_TEXT.test(v);
/** An optional field: absent, or present and valid. */
const opt = (o: Obj, k: string, check: (v: unknown) => boolean): boolean => !has(o, k) || check(o[k]);

/** Copies the optional fields that are present (absent ones stay absent, never `undefined`). */
function withOptional<T extends object>(target: T, source: Obj, keys: readonly string[]): T {
  for (const k of keys) if (has(source, k)) (target as Obj)[k] = source[k];
  return target;
}

function publication(v: unknown): Publication | null {
  if (!isObj(v)) return null;
  const { channel, epoch, offset, time } = v;
  if (!isChannel(channel) || !isEpoch(epoch) || !isUint(offset) || !isUint(time) || !has(v, 'data')) return null;
  if (!opt(v, 'sender', isUser) || !opt(v, 'id', isMessageId) || !opt(v, 'key', isMessageId)) return null;
  return withOptional<Publication>({ channel, epoch, offset, data: v['data'] as JsonValue, time }, v, [
    'sender',
    'id',
    'key',
  ]);
}

const isSkipped = (v: unknown): boolean => isUint(v) && v >= 1;

/** A live publication (alone or inside a batch): a publication, plus `skipped` on a conflated connection. */
function livePublication(v: unknown): BatchedPublication | null {
  const p = publication(v);
  if (p === null || !opt(v as Obj, 'skipped', isSkipped)) return null;
  return withOptional<BatchedPublication>(p, v as Obj, ['skipped']);
}

/** A history item: a tombstone when `deleted` is true (its other fields dropped), else a publication. */
function historyItem(v: unknown): HistoryItem | null {
  if (!isObj(v) || v['deleted'] !== true) return publication(v);
  const { channel, epoch, offset, time } = v;
  if (!isChannel(channel) || !isEpoch(epoch) || !isUint(offset) || !isUint(time)) return null;
  return { channel, epoch, offset, time, deleted: true };
}

function presenceUser(v: unknown): PresenceUser | null {
  if (!isObj(v) || !isUser(v['user']) || !isUint(v['connections']) || v['connections'] < 1) return null;
  return withOptional<PresenceUser>({ user: v['user'], connections: v['connections'] }, v, ['info']);
}

/** Validates every item of an array with `item`; null when the value is no array or one item fails. */
function arrayOf<T>(v: unknown, item: (x: unknown) => T | null): T[] | null {
  if (!Array.isArray(v)) return null;
  const out: T[] = [];
  for (const x of v) {
    const ok = item(x);
    if (ok === null) return null;
    out.push(ok);
  }
  return out;
}

function subscribed(o: Obj): SubscribedMessage | null {
  const { channel, epoch, offset, recovered } = o;
  if (!isChannel(channel) || !isEpoch(epoch) || !isUint(offset) || typeof recovered !== 'boolean') return null;
  const publications = arrayOf(o['publications'], historyItem);
  if (publications === null) return null;
  const m = withOptional<SubscribedMessage>(
    { type: 'subscribed', channel, epoch, offset, recovered, publications },
    o,
    ['re'],
  );
  if (has(o, 'presence')) {
    const presence = arrayOf(o['presence'], presenceUser);
    if (presence === null) return null;
    m.presence = presence;
  }
  if (has(o, 'snapshot')) {
    const snapshot = arrayOf(o['snapshot'], publication);
    if (snapshot === null) return null;
    m.snapshot = snapshot;
  }
  if (!opt(o, 'conflated', (v) => typeof v === 'boolean')) return null;
  return withOptional(m, o, ['conflated']);
}

/** Per-type checks of an object whose `type` is a string and whose data passed the plain-JSON guard. */
function validateFields(o: Obj): ServerMessage | null {
  switch (o['type']) {
    case 'connected': {
      if (
        !opt(o, 're', isRid) ||
        !isStr(o['client'], Limits.MAX_ID_LENGTH, 1) ||
        !isUser(o['user']) ||
        !opt(o, 'expires', isUint)
      )
        return null;
      return withOptional<ConnectedMessage>({ type: 'connected', client: o['client'], user: o['user'] }, o, [
        're',
        'expires',
      ]);
    }
    case 'subscribed':
      return opt(o, 're', isRid) ? subscribed(o) : null;
    case 'unsubscribed': {
      if (!opt(o, 're', isRid) || !isChannel(o['channel'])) return null;
      if (
        !opt(o, 'code', (v) => isStr(v, MAX_CODE_LENGTH)) ||
        !opt(o, 'reason', (v) => isStr(v, Limits.MAX_REASON_LENGTH))
      )
        return null;
      return withOptional<UnsubscribedMessage>({ type: 'unsubscribed', channel: o['channel'] }, o, [
        're',
        'code',
        'reason',
      ]);
    }
    case 'publication': {
      const p = livePublication(o);
      return p === null ? null : { type: 'publication', ...p };
    }
    case 'publications': {
      const publications = arrayOf(o['publications'], livePublication);
      if (publications === null || publications.length === 0) return null;
      return { type: 'publications', publications } satisfies PublicationsMessage;
    }
    case 'join':
    case 'leave': {
      if (!isChannel(o['channel']) || !isUser(o['user'])) return null;
      return withOptional<JoinMessage | LeaveMessage>({ type: o['type'], channel: o['channel'], user: o['user'] }, o, [
        'info',
      ]);
    }
    case 'typing': {
      if (!isChannel(o['channel']) || !isUser(o['user']) || typeof o['on'] !== 'boolean') return null;
      return { type: 'typing', channel: o['channel'], user: o['user'], on: o['on'] } satisfies TypingEventMessage;
    }
    case 'reply': {
      if (!isRid(o['re'])) return null;
      return withOptional<ReplyMessage>({ type: 'reply', re: o['re'] }, o, ['data']);
    }
    case 'error': {
      if (
        !opt(o, 're', isRid) ||
        !isStr(o['code'], MAX_CODE_LENGTH, 1) ||
        !isStr(o['message'], Limits.MAX_REASON_LENGTH)
      )
        return null;
      return withOptional<ErrorMessage>({ type: 'error', code: o['code'], message: o['message'] }, o, ['re']);
    }
    case 'deleted': {
      const { channel, epoch, offset } = o;
      if (!isChannel(channel) || !isEpoch(epoch) || !isUint(offset)) return null;
      return { type: 'deleted', channel, epoch, offset } satisfies DeletedMessage;
    }
    case 'doc': {
      const { channel, kind, data } = o;
      if (!isChannel(channel) || !isDocKind(kind) || !isDocBytes(data)) return null;
      return { type: 'doc', channel, kind: kind as DocEventMessage['kind'], data } satisfies DocEventMessage;
    }
    case 'disconnect': {
      const { code, reason, reconnect } = o;
      if (
        !isUint(code) ||
        code < 1000 ||
        code > 4999 ||
        !isStr(reason, Limits.MAX_REASON_LENGTH) ||
        typeof reconnect !== 'boolean'
      )
        return null;
      return { type: 'disconnect', code, reason, reconnect } satisfies DisconnectMessage;
    }
    default:
      return null;
  }
}

/**
 * Validates one decoded server -> client message without a schema library. It accepts exactly what
 * `validateServerMessage` (the zod schemas) accepts and returns the same value: plain JSON data only (no reserved
 * keys, nesting at most `maxDepth`), a known `type`, every field of its protocol type; unknown fields are dropped
 * so newer servers can add some.
 *
 * @param value A parsed JSON (or MessagePack) value; it is not modified.
 * @param maxDepth Deepest accepted nesting, the message counting as 1. @default Limits.MAX_SERVER_DEPTH
 * @returns The typed message, or null for anything malformed or of an unknown type (clients ignore those). Never throws.
 */
export function validateServerValue(value: unknown, maxDepth: number = Limits.MAX_SERVER_DEPTH): ServerMessage | null {
  if (!isObj(value) || !Object.hasOwn(value, 'type') || typeof value['type'] !== 'string') return null;
  if (checkJsonValue(value, maxDepth) !== null) return null;
  return validateFields(value);
}

/**
 * Decodes one text frame of the JSON subprotocol from the server: size (UTF-8 bytes), nesting (checked on the text
 * before parsing), JSON syntax, then {@link validateServerValue}.
 *
 * @param text The frame's text.
 * @param maxSize Largest accepted frame in bytes. @default Limits.MAX_SERVER_MESSAGE_SIZE
 * @returns The typed message, or null. Never throws.
 */
export function decodeServerJson(text: string, maxSize: number = Limits.MAX_SERVER_MESSAGE_SIZE): ServerMessage | null {
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes: count exactly only when the cheap bounds cannot decide.
  if (text.length > maxSize || (text.length * 3 > maxSize && utf8Length(text) > maxSize)) return null;
  if (exceedsJsonDepth(text, Limits.MAX_SERVER_DEPTH)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return validateServerValue(value);
}
