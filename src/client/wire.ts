// Client SDK (Node-free): the built-in JSON wire format, validated by hand so the browser bundle carries no schema library.
import type {
  Codec, ConnectedMessage, DisconnectMessage, ErrorMessage, JoinMessage, JsonValue, LeaveMessage, PresenceUser, Publication,
  PublicationMessage, ReplyMessage, ServerMessage, SingleClientMessage, SubscribedMessage, TypingEventMessage, UnsubscribedMessage,
} from '../messages/index.ts';

/** What the client needs from a wire format. A `Codec` from `switchboard/messages` (e.g. MessagePack) fits too. */
export interface ClientWire {
  readonly subprotocol: string;
  encode(message: SingleClientMessage): string | Uint8Array;
  /** The validated message, or null for anything malformed or unknown (docs/protocol.md §14: ignore). Never throws. */
  decode(raw: string | Uint8Array): ServerMessage | null;
}

/** The JSON subprotocol name (docs/protocol.md §1). */
export const JSON_SUBPROTOCOL = 'switchboard.v1.json';

/**
 * Largest server frame the JSON wire accepts, in UTF-16 code units.
 * Protocol §11: clients should accept frames up to 64 MiB (a `subscribed` with recovered history is large).
 */
const MAX_FRAME = 64 * 1024 * 1024;
const MAX_RID = 4_294_967_295;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max: number, min = 0): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const optStr = (o: Obj, k: string, max: number): boolean => !Object.hasOwn(o, k) || o[k] === undefined || isStr(o[k], max);
const has = (o: Obj, k: string): boolean => Object.hasOwn(o, k) && o[k] !== undefined;

function reOf(o: Obj): { ok: boolean; re?: number } {
  if (!has(o, 're')) return { ok: true };
  const re = o['re'];
  return isUint(re) && re <= MAX_RID ? { ok: true, re } : { ok: false };
}

function publication(v: unknown): Publication | null {
  if (!isObj(v)) return null;
  const { channel, epoch, offset, time, sender, id } = v;
  if (!isStr(channel, 255, 1) || !isStr(epoch, 64, 1) || !isUint(offset) || !isUint(time) || !has(v, 'data')) return null;
  if (!optStr(v, 'sender', 255) || !optStr(v, 'id', 128)) return null;
  const p: Publication = { channel, epoch, offset, data: v['data'] as JsonValue, time };
  if (typeof sender === 'string') p.sender = sender;
  if (typeof id === 'string') p.id = id;
  return p;
}

function presenceUser(v: unknown): PresenceUser | null {
  if (!isObj(v) || !isStr(v['user'], 255) || !isUint(v['connections']) || (v['connections'] as number) < 1) return null;
  const u: PresenceUser = { user: v['user'] as string, connections: v['connections'] as number };
  if (has(v, 'info')) u.info = v['info'] as JsonValue;
  return u;
}

/**
 * Validates one decoded server message: the fields the client reads must have their protocol types; unknown fields
 * are dropped; unknown types give null.
 * @param value A parsed JSON value.
 * @returns The message, or null.
 */
export function validateServerValue(value: unknown): ServerMessage | null {
  if (!isObj(value) || typeof value['type'] !== 'string') return null;
  const o = value;
  const r = reOf(o);
  if (!r.ok) return null;
  const re = r.re === undefined ? {} : { re: r.re };
  switch (o['type']) {
    case 'connected': {
      if (!isStr(o['client'], 128, 1) || !isStr(o['user'], 255) || (has(o, 'expires') && !isUint(o['expires']))) return null;
      const m: ConnectedMessage = { type: 'connected', ...re, client: o['client'] as string, user: o['user'] as string };
      if (has(o, 'expires')) m.expires = o['expires'] as number;
      return m;
    }
    case 'subscribed': {
      const { channel, epoch, offset, recovered, publications } = o;
      if (!isStr(channel, 255, 1) || !isStr(epoch, 64, 1) || !isUint(offset) || typeof recovered !== 'boolean' || !Array.isArray(publications)) return null;
      const pubs: Publication[] = [];
      for (const p of publications) {
        const ok = publication(p);
        if (ok === null) return null;
        pubs.push(ok);
      }
      const m: SubscribedMessage = { type: 'subscribed', ...re, channel, epoch, offset, recovered, publications: pubs };
      if (has(o, 'presence')) {
        if (!Array.isArray(o['presence'])) return null;
        const users: PresenceUser[] = [];
        for (const u of o['presence'] as unknown[]) {
          const ok = presenceUser(u);
          if (ok === null) return null;
          users.push(ok);
        }
        m.presence = users;
      }
      return m;
    }
    case 'unsubscribed': {
      if (!isStr(o['channel'], 255, 1) || !optStr(o, 'code', 64) || !optStr(o, 'reason', 256)) return null;
      const m: UnsubscribedMessage = { type: 'unsubscribed', ...re, channel: o['channel'] as string };
      if (typeof o['code'] === 'string') m.code = o['code'];
      if (typeof o['reason'] === 'string') m.reason = o['reason'];
      return m;
    }
    case 'publication': {
      const p = publication(o);
      return p === null ? null : ({ type: 'publication', ...p } satisfies PublicationMessage);
    }
    case 'join': case 'leave': {
      if (!isStr(o['channel'], 255, 1) || !isStr(o['user'], 255)) return null;
      const m: JoinMessage | LeaveMessage = { type: o['type'], channel: o['channel'] as string, user: o['user'] as string };
      if (has(o, 'info')) m.info = o['info'] as JsonValue;
      return m;
    }
    case 'typing': {
      if (!isStr(o['channel'], 255, 1) || !isStr(o['user'], 255) || typeof o['on'] !== 'boolean') return null;
      return { type: 'typing', channel: o['channel'] as string, user: o['user'] as string, on: o['on'] } satisfies TypingEventMessage;
    }
    case 'reply': {
      if (r.re === undefined) return null;
      const m: ReplyMessage = { type: 'reply', re: r.re };
      if (has(o, 'data')) m.data = o['data'] as JsonValue;
      return m;
    }
    case 'error': {
      if (!isStr(o['code'], 64, 1) || !isStr(o['message'], 256)) return null;
      return { type: 'error', ...re, code: o['code'] as string, message: o['message'] as string } satisfies ErrorMessage;
    }
    case 'disconnect': {
      const code = o['code'];
      if (!isUint(code) || code < 1000 || code > 4999 || !isStr(o['reason'], 256) || typeof o['reconnect'] !== 'boolean') return null;
      return { type: 'disconnect', code, reason: o['reason'] as string, reconnect: o['reconnect'] } satisfies DisconnectMessage;
    }
    default:
      return null;
  }
}

/** The built-in JSON wire (text frames). */
export const jsonWire: ClientWire = {
  subprotocol: JSON_SUBPROTOCOL,
  encode: (message) => JSON.stringify(message),
  decode(raw) {
    if (typeof raw !== 'string') return null; // binary frames are not JSON (protocol §1)
    if (raw.length > MAX_FRAME) return null;
    try {
      return validateServerValue(JSON.parse(raw));
    } catch {
      return null; // malformed or too deeply nested for the parser
    }
  },
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
 * Whether to reconnect after the server closed with `code` (docs/protocol.md §13). The same table as `shouldReconnect`
 * in `src/messages/errors.ts` (a test checks they agree), kept here so the browser bundle stays small.
 * @param code The close code (1006 for a dropped connection).
 * @returns true when reconnecting with backoff is right.
 */
export function shouldReconnectAfter(code: number): boolean {
  if (code >= 4000 && code <= 4499) return true;
  if (code >= 4500 && code <= 4999) return false;
  return code === 1001 || code === 1006 || code === 1011 || code === 1012 || code === 1013 || code === 1014;
}
