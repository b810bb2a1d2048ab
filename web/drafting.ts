// Typing indicator of the chat page: tells the shown room whether this user is drafting a message to it.
import { currentRoom, session } from './session.ts';
import { TypingSignal } from './typing.ts';
import { PRIVATE, ui } from './view.ts';

export const typing = new TypingSignal();

function typingSink(): ((channel: string, on: boolean) => void) | null {
  const c = session.client;
  return c === null ? null : (channel, on) => c.typing(channel, on);
}

/** Tells the shown room whether this user is drafting a message to it. */
export function updateTyping(): void {
  const room = currentRoom();
  typing.update(typingSink(), room === undefined || room.name === PRIVATE ? null : room.channel, ui.messageInput.value);
}

export function stopTyping(): void {
  typing.stop(typingSink());
}
