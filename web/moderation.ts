// Deleting messages on the chat page: which lines offer a delete button, the delete request, and showing a deletion.
import type { DeletedEvent } from '../src/client/index.ts';
import { changed, currentRoom, fail, roomOf, session } from './session.ts';
import { clearError, deletion } from './view.ts';

/** The roles claim of a JWT, read without verifying it (only to choose which buttons to show). */
export function rolesOf(token: string | undefined): string[] {
  try {
    const payload = token?.split('.')[1];
    if (payload === undefined) return [];
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { roles?: unknown };
    return Array.isArray(json.roles) ? json.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

deletion.allowed = (line) =>
  line.kind === 'message' && line.position !== undefined && (line.mine === true || session.moderator);
deletion.request = (line) => {
  const room = currentRoom();
  const client = session.client;
  if (client === null || room === undefined || line.position === undefined) return;
  client
    .deletePublication(room.channel, line.position.offset, { epoch: line.position.epoch })
    .then(() => clearError())
    .catch(fail);
};

/** A publication was deleted: everyone sees "message deleted" in its place. */
export function onDeleted(event: DeletedEvent): void {
  const room = roomOf(event.channel);
  if (room === undefined) return;
  room.log.deleted({ epoch: event.epoch, offset: event.offset });
  changed(room);
}
