// Chat page (browser): this user's typing signal: sent while drafting a message to a room, never for a command.

/** A typing `on` is repeated this often while the user keeps typing (the server forgets it after 6 s). */
const TYPING_REPEAT_MS = 2000;

/** Where the signal goes: the client's `typing(channel, on)` (dropped by the SDK while offline). */
export type TypingSink = (channel: string, on: boolean) => void;

/** Whether a draft is a message to the room: not empty, and not a command such as `/msg bob …` (a private message). */
export function isRoomDraft(draft: string): boolean {
  return draft.trim() !== '' && !draft.trimStart().startsWith('/');
}

/** The channel this user is shown typing in, kept in step with the draft. */
export class TypingSignal {
  #channel: string | null = null;
  #sentAt = 0;

  /**
   * The draft changed (or the shown room did).
   * @param sink The client's typing sender, or null when signed out.
   * @param channel The shown room's channel, or null for a room without typing (private messages).
   * @param draft The message input's text.
   */
  update(sink: TypingSink | null, channel: string | null, draft: string): void {
    const target = sink !== null && channel !== null && isRoomDraft(draft) ? channel : null;
    if (this.#channel !== null && this.#channel !== target) this.stop(sink);
    if (target === null || sink === null) return;
    const now = Date.now();
    if (this.#channel === target && now - this.#sentAt < TYPING_REPEAT_MS) return;
    sink(target, true);
    this.#channel = target;
    this.#sentAt = now;
  }

  /** Ends the signal (message sent, room left), telling the room when it was on. */
  stop(sink: TypingSink | null): void {
    if (this.#channel !== null) sink?.(this.#channel, false);
    this.#channel = null;
  }

  /** Forgets the signal without telling anyone (the connection dropped: the server ended it). */
  reset(): void {
    this.#channel = null;
  }
}
