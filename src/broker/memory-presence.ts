// Broker: the MemoryBroker's per-channel presence: connections by id, counted per user, with join on a user's first
// connection and leave on its last. The maps exist while someone is present: most channels never have presence.
import type { ChannelEvent, PresenceEntry, PresenceUser } from './types.ts';

/** A user's connections in one channel, and its latest info. */
export interface PresenceCount {
  connections: number;
  info: unknown;
  hasInfo: boolean;
}

/** A channel's presence: connections by id and users with their counts, both null while nobody is present. */
export interface ChannelPresence {
  readonly name: string;
  presence: Map<string, PresenceEntry> | null;
  users: Map<string, PresenceCount> | null;
}

/** Connections present. */
export function presenceSize(state: ChannelPresence): number {
  return state.presence?.size ?? 0;
}

/** A join or leave, for the channel's handlers and the broker's `change` listeners. */
export type PresenceEvent = Extract<ChannelEvent, { readonly type: 'join' | 'leave' }>;

/**
 * Adds (or updates) a connection's presence; a connection that changed user first leaves as the old one.
 * @param emit Told of the join (a user's first connection) and of a leave.
 */
export function addPresenceEntry(state: ChannelPresence, entry: PresenceEntry, emit: (e: PresenceEvent) => void): void {
  const previous = state.presence?.get(entry.connection);
  if (previous !== undefined && previous.user !== entry.user) removePresenceEntry(state, entry.connection, emit);
  // Created here (again, when the leave above emptied them).
  state.presence ??= new Map();
  state.users ??= new Map();
  const stored: PresenceEntry = {
    connection: entry.connection,
    user: entry.user,
    ...('info' in entry && entry.info !== undefined ? { info: entry.info } : {}),
  };
  state.presence.set(entry.connection, stored);
  const hasInfo = stored.info !== undefined;
  const user = state.users.get(entry.user);
  if (user !== undefined) {
    if (previous === undefined || previous.user !== entry.user) user.connections++;
    user.info = stored.info;
    user.hasInfo = hasInfo;
    return;
  }
  state.users.set(entry.user, { connections: 1, info: stored.info, hasInfo });
  emit({ type: 'join', channel: state.name, user: entry.user, ...(hasInfo ? { info: stored.info } : {}) });
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
  const entry = presence?.get(connection);
  if (presence === null || users === null || entry === undefined) return;
  presence.delete(connection);
  if (presence.size === 0) state.presence = null;
  const user = users.get(entry.user);
  if (user === undefined) return;
  if (--user.connections > 0) return;
  users.delete(entry.user);
  if (users.size === 0) state.users = null;
  emit({
    type: 'leave',
    channel: state.name,
    user: entry.user,
    ...(user.hasInfo ? { info: user.info } : {}),
  });
}

/** Who is in the channel, with connection counts. */
export function listPresence(state: ChannelPresence): PresenceUser[] {
  const users: PresenceUser[] = [];
  if (state.users === null) return users;
  for (const [user, { connections, info, hasInfo }] of state.users)
    users.push(hasInfo ? { user, connections, info } : { user, connections });
  return users;
}
