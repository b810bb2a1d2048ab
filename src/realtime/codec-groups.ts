// Realtime: a local channel's subscribers grouped by codec (one frame encoded per codec), each group a map from the
// subscriber to its socket that exists only while it has members: most channels have subscribers of one codec.
import type { Subscriber } from './subscription.ts';
import type { SessionTransport } from './transport.ts';

/** Subscribers and their sockets, per codec index; a codec without subscribers has no map. */
export type CodecGroups = (Map<Subscriber, SessionTransport> | undefined)[];

/** The codec's map of `groups`, created when missing. */
export function groupOf(groups: CodecGroups, codec: number): Map<Subscriber, SessionTransport> {
  let map = groups[codec];
  if (map === undefined) {
    map = new Map();
    groups[codec] = map;
  }
  return map;
}

/** Removes a subscriber from its codec's map, dropping the map once empty. */
export function leaveGroup(groups: CodecGroups, session: Subscriber): void {
  const map = groups[session.codecIndex];
  if (map?.delete(session) && map.size === 0) groups[session.codecIndex] = undefined;
}

/**
 * An empty set of groups with room for the hub's two codecs (JSON, MessagePack): a group added to `[]` grows its
 * backing store to 17 slots (~150 bytes per channel), this one never grows.
 * @returns The groups, none yet.
 */
export function codecGroups(): CodecGroups {
  return [undefined, undefined];
}
