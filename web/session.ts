// The chat page's session state (the client, who we are, the rooms and which one is shown) and the small lookups and
// notices every other part of the page uses.
import { type Client, ClientError } from '../src/client/index.ts';
import { ChatLog } from './chat-log.ts';
import { type Room, renderMessages, showError } from './view.ts';

/** What the page knows right now; one object so every module sees (and may change) the same values. */
export const session: {
  rooms: Map<string, Room>;
  current: string | null;
  client: Client | null;
  me: string;
  /** Whether the token grants deleting anyone's messages (a hint for the buttons: the server decides). */
  moderator: boolean;
} = {
  rooms: new Map<string, Room>(),
  current: null,
  client: null,
  me: '',
  moderator: false,
};

export function describe(err: unknown): string {
  return err instanceof ClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

export function fail(err: unknown): void {
  showError(describe(err));
}

export function currentRoom(): Room | undefined {
  return session.current === null ? undefined : session.rooms.get(session.current);
}

export function roomOf(channel: string): Room | undefined {
  for (const room of session.rooms.values()) if (room.channel === channel) return room;
  return undefined;
}

export function newRoom(name: string, channel: string): Room {
  return { name, channel, log: new ChatLog(), present: new Set(), typing: new Set(), unread: 0 };
}

/** Re-renders a room's messages when it is shown. */
export function changed(room: Room): void {
  if (room.name === session.current) renderMessages(room);
}

/** A notice (connection lost, someone joined): never counted as unread. */
export function notice(room: Room, text: string): void {
  room.log.notice(text);
  changed(room);
}
