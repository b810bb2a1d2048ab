// Broker: the MemoryBroker's per-channel presence: connections by id, counted per user, with join on a user's first
// connection and leave on its last.
import type { ChannelEvent, PresenceEntry, PresenceUser } from './types.ts';

/** A user's connections in one channel, and its latest info. */
export interface PresenceCount {
  connections: number;
  info: unknown;
  hasInfo: boolean;
}

/** A channel's presence. */
export interface ChannelPresence {
  readonly name: string;
  readonly presence: Map<string, PresenceEntry>;
  readonly users: Map<string, PresenceCount>;
}

/** A join or leave, for the channel's handlers and the broker's `change` listeners. */
export type PresenceEvent = Extract<ChannelEvent, { readonly type: 'join' | 'leave' }>;

/**
 * Adds (or updates) a connection's presence; a connection that changed user first leaves as the old one.
 * @param emit Told of the join (a user's first connection) and of a leave.
 */
export function addPresenceEntry(state: ChannelPresence, entry: PresenceEntry, emit: (e: PresenceEvent) => void): void {
  const previous = state.presence.get(entry.connection);
  if (previous !== undefined && previous.user !== entry.user) removePresenceEntry(state, entry.connection, emit);
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
  const entry = state.presence.get(connection);
  if (entry === undefined) return;
  state.presence.delete(connection);
  const user = state.users.get(entry.user);
  if (user === undefined) return;
  if (--user.connections > 0) return;
  state.users.delete(entry.user);
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
  for (const [user, { connections, info, hasInfo }] of state.users)
    users.push(hasInfo ? { user, connections, info } : { user, connections });
  return users;
}
