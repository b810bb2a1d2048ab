// Broker (Redis): key names and the binary formats of stored bodies and pub/sub messages.
import type { ChannelEvent, Publication } from '../types.ts';

/** The Redis keys of one channel. Every key carries the same hash tag, so one script can touch them all. */
export interface ChannelKeys {
  /** Hash: `epoch`, `top` (latest offset), `floor` (lowest retained offset). */
  readonly meta: string;
  /** Stream: entries `<offset>-0` with fields `b` (body), `t` (time ms), `e` (expires at, ms). */
  readonly stream: string;
  /**
   * Hash key -> `<offset>:<time>:<expiresAt>:<body>`: the latest publication per feed key (`''` for those without a
   * key), and `latestOrder`, a sorted set of the keys by offset (eviction of the oldest). Scripts derive both from `stream`.
   */
  readonly latest: string;
  /** See {@link ChannelKeys.latest}. */
  readonly latestOrder: string;
  /** Sorted set by offset of `<offset>:<time>:<expiresAt>`: tombstones of deleted publications (scripts derive it from `stream`). */
  readonly tombstones: string;
  /** Hash connection -> user. */
  readonly presence: string;
  /** Hash connection -> node id. */
  readonly presenceNode: string;
  /** Hash connection -> packed info. */
  readonly presenceInfo: string;
  /** Hash user -> connection count. */
  readonly users: string;
  /** Hash user -> packed info of the user's most recently added connection. */
  readonly userInfo: string;
  /** The pub/sub channel of publications and presence events. */
  readonly pubsub: string;
  /** Set of the ids of the nodes that have a handler for the channel (occupancy). */
  readonly occupancy: string;
  /** String key remembering a publish result for its idempotency window. */
  idempotency(key: string): string;
}

/**
 * Hash tags end at the first `}`: escaping `%`, `{` and `}` keeps the tag injective for any channel name.
 * @param channel A channel name.
 * @returns The name as used inside `{…}`.
 */
function tag(channel: string): string {
  return channel.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * @param prefix Key prefix (`sb:` by default).
 * @param channel Channel name.
 * @returns The channel's keys.
 */
export function channelKeys(prefix: string, channel: string): ChannelKeys {
  const base = `${prefix}{${tag(channel)}}`;
  return {
    meta: `${base}:m`,
    stream: `${base}:s`,
    tombstones: `${base}:d`,
    latest: `${base}:l`,
    latestOrder: `${base}:z`,
    presence: `${base}:p`,
    presenceNode: `${base}:pn`,
    presenceInfo: `${base}:pi`,
    users: `${base}:u`,
    userInfo: `${base}:ui`,
    pubsub: base,
    occupancy: `${base}:o`,
    idempotency: (key) => `${base}:k:${key}`,
  };
}

/**
 * Keys of the node registry: the set of node ids and, per node, its heartbeat, the channels it has presence in and
 * the channels it occupies (has handlers for).
 */
export function nodeKeys(
  prefix: string,
  node: string,
): { readonly registry: string; readonly heartbeat: string; readonly channels: string; readonly occupied: string } {
  return {
    registry: `${prefix}nodes`,
    heartbeat: `${prefix}node:${node}:hb`,
    channels: `${prefix}node:${node}:ch`,
    occupied: `${prefix}node:${node}:oc`,
  };
}

// Bodies are JSON: publication data and presence info are JSON values (the message schemas guarantee it), and
// JSON stays readable by any node version during a rolling upgrade.

interface Body {
  readonly d: unknown;
  readonly s?: string;
  readonly i?: string;
  /** The connection live fan-out skips (`Publication.exceptConnection`). */
  readonly x?: string;
  /** The feed key (`Publication.key`). */
  readonly k?: string;
}

/**
 * Packs what a publication carries besides its position: data, sender and id.
 * @param data The payload.
 * @param sender The publisher's user id, if any.
 * @param id The publisher's message id, if any.
 * @param exceptConnection The connection live fan-out skips, if any.
 * @param key The feed key, if any.
 * @returns The body stored in the stream and sent over pub/sub.
 */
export function packBody(
  data: unknown,
  sender: string | undefined,
  id: string | undefined,
  exceptConnection?: string,
  key?: string,
): Buffer {
  const body: Body = {
    d: data,
    ...(sender === undefined ? {} : { s: sender }),
    ...(id === undefined ? {} : { i: id }),
    ...(exceptConnection === undefined ? {} : { x: exceptConnection }),
    ...(key === undefined ? {} : { k: key }),
  };
  return Buffer.from(JSON.stringify(body));
}

/**
 * Rebuilds a publication from its stored or published parts.
 * @param channel Channel name.
 * @param position Epoch, offset and time as stored.
 * @param body The packed body.
 * @returns The publication, absent fields omitted.
 */
export function unpackPublication(
  channel: string,
  position: { epoch: string; offset: number; time: number },
  body: Buffer,
): Publication {
  const { d, s, i, x, k } = JSON.parse(body.toString()) as Body;
  return {
    channel,
    epoch: position.epoch,
    offset: position.offset,
    data: d,
    time: position.time,
    ...(s === undefined ? {} : { sender: s }),
    ...(i === undefined ? {} : { id: i }),
    ...(typeof x === 'string' ? { exceptConnection: x } : {}),
    ...(typeof k === 'string' ? { key: k } : {}),
  };
}

/**
 * Rebuilds a publication kept as the latest of its key (LATEST script): `<offset>:<time>:<expiresAt>:<body>`.
 * @param channel Channel name.
 * @param epoch The channel's epoch.
 * @param value The stored value.
 * @returns The publication, or null when the value is malformed.
 */
export function unpackLatest(channel: string, epoch: string, value: Buffer): Publication | null {
  const c1 = value.indexOf(0x3a);
  const c2 = c1 < 0 ? -1 : value.indexOf(0x3a, c1 + 1);
  const c3 = c2 < 0 ? -1 : value.indexOf(0x3a, c2 + 1);
  if (c3 < 0) return null;
  const offset = Number(value.toString('latin1', 0, c1));
  const time = Number(value.toString('latin1', c1 + 1, c2));
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(time)) return null;
  return unpackPublication(channel, { epoch, offset, time }, value.subarray(c3 + 1));
}

/**
 * Rebuilds a history entry: a publication, or a tombstone when its first field is `x` (see the HISTORY script).
 * @param channel Channel name.
 * @param epoch The channel's epoch.
 * @param entry The stream entry `[id, fields]`.
 * @returns The publication or tombstone.
 */
export function unpackEntry(channel: string, epoch: string, entry: [Buffer, Buffer[]]): Publication {
  const [id, fields] = entry;
  const offset = Number.parseInt(id.toString(), 10);
  const time = Number(fields[3]!.toString());
  if (fields[0]!.toString() === 'x') return { channel, epoch, offset, data: null, time, deleted: true };
  return unpackPublication(channel, { epoch, offset, time }, fields[1]!);
}

/** Keys of the ban list: one string key per banned user (`<until> <reason>`, expiring with the ban) and an index. */
export function banKeys(prefix: string, user: string): { readonly ban: string; readonly index: string } {
  return { ban: `${prefix}ban:${user}`, index: `${prefix}bans` };
}

/** Packs presence info (absent info is stored as no value at all). */
export function packInfo(info: unknown): Buffer {
  return Buffer.from(JSON.stringify(info));
}

/** Unpacks presence info. */
export function unpackInfo(info: Buffer): unknown {
  return JSON.parse(info.toString()) as unknown;
}

/**
 * Parses a message received on a channel's pub/sub channel: `p<offset>:<time>:<epoch>:<body>` for a
 * publication, `j<len>:<user><info>` / `l<len>:<user><info>` for presence (len in bytes, info optional),
 * `s<json>` for a signal,
 * `d<offset>:<epoch>` for a deleted publication.
 * @param channel The channel it was received for.
 * @param message The raw message.
 * @returns The event, or null when the message is not one of ours.
 */
export function parseMessage(channel: string, message: Buffer): ChannelEvent | null {
  const kind = message[0];
  if (kind === 0x70 /* p */) {
    const c1 = message.indexOf(0x3a, 1);
    const c2 = c1 < 0 ? -1 : message.indexOf(0x3a, c1 + 1);
    const c3 = c2 < 0 ? -1 : message.indexOf(0x3a, c2 + 1);
    if (c3 < 0) return null;
    const offset = Number(message.toString('latin1', 1, c1));
    const time = Number(message.toString('latin1', c1 + 1, c2));
    const epoch = message.toString('latin1', c2 + 1, c3);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(time)) return null;
    return {
      type: 'publication',
      publication: unpackPublication(channel, { epoch, offset, time }, message.subarray(c3 + 1)),
    };
  }
  if (kind === 0x6a /* j */ || kind === 0x6c /* l */) {
    const colon = message.indexOf(0x3a, 1);
    const length = colon < 0 ? Number.NaN : Number(message.toString('latin1', 1, colon));
    if (!Number.isSafeInteger(length) || colon + 1 + length > message.length) return null;
    const user = message.toString('utf8', colon + 1, colon + 1 + length);
    const rest = message.subarray(colon + 1 + length);
    const type = kind === 0x6a ? 'join' : 'leave';
    return rest.length === 0 ? { type, channel, user } : { type, channel, user, info: unpackInfo(rest) };
  }
  if (kind === 0x73 /* s */) return { type: 'signal', channel, data: unpackInfo(message.subarray(1)) };
  if (kind === 0x64 /* d */) {
    const colon = message.indexOf(0x3a, 1);
    const offset = colon < 0 ? Number.NaN : Number(message.toString('latin1', 1, colon));
    if (!Number.isSafeInteger(offset)) return null;
    return { type: 'deleted', channel, epoch: message.toString('latin1', colon + 1), offset };
  }
  return null;
}
