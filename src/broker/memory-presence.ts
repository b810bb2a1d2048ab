// Broker: the MemoryBroker's per-channel presence: connections by id, counted per user, with join on a user's first
// connection and leave on its last. The maps exist while someone is present: most channels never have presence.
import type { ChannelEvent, PresenceEntry, PresenceUser } from './types.ts';

/** A user's connections in one channel, and its latest info. */
export interface PresenceCount {
  connections: number;
  info: unknown;
  hasInfo: boolean;
}

/**
 * A channel's presence: nobody (null); one connection's entry as is, its user with that one connection; or, from the
 * second connection on, connections by id and users with their counts (`users` is null unless `presence` is a map).
 * One present connection, the common case, costs its entry instead of two maps.
 */
export interface ChannelPresence {
  readonly name: string;
  presence: PresenceEntry | Map<string, PresenceEntry> | null;
  users: Map<string, PresenceCount> | null;
}

/** Connections present. */
export function presenceSize(state: ChannelPresence): number {
  const { presence } = state;
  return presence === null ? 0 : presence instanceof Map ? presence.size : 1;
}

/** A join or leave, for the channel's handlers and the broker's `change` listeners. */
export type PresenceEvent = Extract<ChannelEvent, { readonly type: 'join' | 'leave' }>;

/**
 * Adds (or updates) a connection's presence; a connection that changed user first leaves as the old one.
 * @param emit Told of the join (a user's first connection) and of a leave.
 */
export function addPresenceEntry(state: ChannelPresence, entry: PresenceEntry, emit: (e: PresenceEvent) => void): void {
  const stored = storedEntry(entry.connection, entry.user, 'info' in entry, entry.info);
  const hasInfo = stored.info !== undefined;
  const present = state.presence;
  if (present === null) {
    state.presence = stored;
    emit(joinOrLeave('join', state.name, entry.user, hasInfo, stored.info));
    return;
  }
  if (!(present instanceof Map)) {
    if (present.connection === entry.connection) {
      if (present.user === entry.user) {
        state.presence = stored; // its info updated: no event
        return;
      }
      removePresenceEntry(state, present.connection, emit);
      addPresenceEntry(state, entry, emit);
      return;
    }
    state.presence = new Map([[present.connection, present]]);
    state.users = new Map([
      [present.user, { connections: 1, info: present.info, hasInfo: present.info !== undefined }],
    ]);
  }
  const presence = state.presence as Map<string, PresenceEntry>;
  const users = state.users as Map<string, PresenceCount>;
  const previous = presence.get(entry.connection);
  if (previous !== undefined && previous.user !== entry.user) {
    // The leave may leave one connection or none: add again on what remains.
    removePresenceEntry(state, entry.connection, emit);
    addPresenceEntry(state, entry, emit);
    return;
  }
  presence.set(entry.connection, stored);
  const user = users.get(entry.user);
  if (user !== undefined) {
    if (previous === undefined) user.connections++;
    user.info = stored.info;
    user.hasInfo = hasInfo;
    return;
  }
  users.set(entry.user, { connections: 1, info: stored.info, hasInfo });
  emit(joinOrLeave('join', state.name, entry.user, hasInfo, stored.info));
}

/**
 * Removes a connection's presence (a no-op for an unknown one).
 * @param emit Told of the leave when it was the user's last connection.
 */
export function removePresenceEntry(
  state: ChannelPresence,
  connection: string,
  emit: (e: PresenceEvent) => void,
): void {
  const { presence, users } = state;
  if (presence === null) return;
  if (!(presence instanceof Map)) {
    if (presence.connection !== connection) return;
    state.presence = null;
    emit(joinOrLeave('leave', state.name, presence.user, presence.info !== undefined, presence.info));
    return;
  }
  const entry = presence.get(connection);
  const user = entry === undefined ? undefined : users?.get(entry.user);
  if (entry === undefined || users === null || user === undefined) return;
  presence.delete(connection);
  const left = --user.connections === 0;
  if (left) users.delete(entry.user);
  if (presence.size === 1) {
    // Back to one connection: its entry as is, with its user's latest info (what a presence list showed).
    const [last] = presence.values() as MapIterator<PresenceEntry>;
    const count = users.get(last!.user)!;
    state.presence = storedEntry(last!.connection, last!.user, count.hasInfo, count.info);
    state.users = null;
  }
  if (left) emit(joinOrLeave('leave', state.name, entry.user, user.hasInfo, user.info));
}

/** Who is in the channel, with connection counts. */
export function listPresence(state: ChannelPresence): PresenceUser[] {
  const { presence } = state;
  if (presence === null) return [];
  if (!(presence instanceof Map)) {
    const { user, info } = presence;
    return [info === undefined ? { user, connections: 1 } : { user, connections: 1, info }];
  }
  const users: PresenceUser[] = [];
  for (const [user, { connections, info, hasInfo }] of state.users ?? [])
    users.push(hasInfo ? { user, connections, info } : { user, connections });
  return users;
}

/** The entry kept for a connection: `info` only when given and defined. */
function storedEntry(connection: string, user: string, hasInfo: boolean, info: unknown): PresenceEntry {
  return hasInfo && info !== undefined ? { connection, user, info } : { connection, user };
}

function joinOrLeave(
  type: 'join' | 'leave',
  channel: string,
  user: string,
  hasInfo: boolean,
  info: unknown,
): PresenceEvent {
  return hasInfo ? { type, channel, user, info } : { type, channel, user };
}
