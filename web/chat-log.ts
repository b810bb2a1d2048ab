// Chat page (browser): what one room shows, without the DOM: lines deduplicated by stream position (epoch and
// offset), own messages pending until acknowledged, breaks where the history could not be recovered, unread counts.

/** The position of a publication in its channel's stream: offsets restart in a new epoch (a server restart). */
export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

export interface ChatLine {
  /** `message` and `private` are publications; `system` a notice; `break` a visible cut in the stream. */
  readonly kind: 'message' | 'private' | 'system' | 'break';
  readonly sender: string;
  readonly text: string;
  readonly time: number;
  /** Where the publication landed; absent for notices and for own messages not yet acknowledged. */
  readonly position?: Position;
  /** The client message id of an own message (kept until acknowledged). */
  readonly id?: string;
  /** `pending`: sent or queued, not acknowledged yet; `failed`: refused for good (`note` says why). */
  readonly status?: 'pending' | 'failed';
  readonly note?: string;
  /** Sent by this page's user. */
  readonly mine?: boolean;
  /** Deleted (by its author or a moderator): shown as "message deleted", its text gone. */
  readonly deleted?: boolean;
}

/** What a deleted message shows, for everyone. */
export const DELETED_TEXT = 'message deleted';

/** Most lines a room keeps (the oldest go first). */
export const MAX_LINES = 500;

function keyOf(position: Position): string {
  return `${position.epoch}\u0000${position.offset}`;
}

/**
 * The lines of one room. A publication is shown once per (epoch, offset): after a server restart the same offsets
 * come back in a new epoch and are new messages, so the offset alone cannot tell a repeat.
 */
export class ChatLog {
  readonly #lines: ChatLine[] = [];
  readonly #seen = new Set<string>();

  /** The lines, oldest first; pending own messages last. */
  get lines(): readonly ChatLine[] {
    return this.#lines;
  }

  /** Whether a publication at this position is shown. */
  has(position: Position): boolean {
    return this.#seen.has(keyOf(position));
  }

  /** Appends a notice (before the pending own messages, which stay last). */
  notice(text: string, time = Date.now()): void {
    this.#insertAt(this.#firstPending(), { kind: 'system', sender: '', text, time });
  }

  /**
   * Marks a cut in the stream: what came before `to` may be missing. The mark goes before the publications already
   * shown from the far side of the cut (an own message acknowledged in the new epoch before the cut was reported).
   * @param from The last position known before the cut (null: none).
   * @param to Where delivery continues.
   */
  cut(text: string, from: Position | null, to: Position, time = Date.now()): void {
    const beyond = (p: Position | undefined): boolean =>
      p !== undefined && p.epoch === to.epoch && (from === null || from.epoch !== to.epoch || p.offset > from.offset);
    const i = this.#lines.findIndex((l) => beyond(l.position));
    this.#insertAt(i < 0 ? this.#firstPending() : Math.min(i, this.#firstPending()), {
      kind: 'break',
      sender: '',
      text,
      time,
    });
  }

  /**
   * Adds a publication in stream order, unless its position is already shown. An own pending message with the same
   * client id is replaced by it.
   * @returns false when it was already shown
   */
  publication(line: ChatLine & { readonly position: Position }): boolean {
    if (line.id !== undefined) this.#removePending(line.id);
    if (this.has(line.position)) return false;
    this.#seen.add(keyOf(line.position));
    this.#insertAt(this.#orderedIndex(line.position), line);
    return true;
  }

  /**
   * A publication was deleted: its line shows {@link DELETED_TEXT}; a publication never shown (a tombstone on join)
   * gets a placeholder in its place, so a late copy of the publication can never bring the text back.
   */
  deleted(position: Position, time = Date.now()): void {
    const i = this.#lines.findIndex(
      (l) => l.position !== undefined && l.position.epoch === position.epoch && l.position.offset === position.offset,
    );
    if (i >= 0) {
      const { id: _id, ...line } = this.#lines[i]!;
      this.#lines[i] = { ...line, text: DELETED_TEXT, deleted: true };
      return;
    }
    if (this.has(position)) return;
    this.#seen.add(keyOf(position));
    this.#insertAt(this.#orderedIndex(position), {
      kind: 'message',
      sender: '',
      text: DELETED_TEXT,
      time,
      position,
      deleted: true,
    });
  }

  /** Shows an own message as pending (at the bottom) until {@link acknowledged} or {@link failed}. */
  pending(line: ChatLine & { readonly id: string }): void {
    this.#insertAt(this.#lines.length, { ...line, status: 'pending', mine: true });
  }

  /**
   * The server acknowledged an own message.
   * @param id Its client message id.
   * @param position Where it landed; undefined when the message does not come back on this room's channel
   *   (a private message lands in the recipient's channel): the line stays where it is, no longer pending.
   */
  acknowledged(id: string, position: Position | undefined): void {
    const i = this.#lines.findIndex((l) => l.id === id && l.status !== undefined);
    if (i < 0) return;
    const line = this.#lines[i]!;
    const { status: _status, ...done } = line;
    if (position === undefined) {
      this.#lines[i] = done;
      return;
    }
    this.#lines.splice(i, 1);
    this.publication({ ...done, position });
  }

  /** An own message was refused for good: it stays, marked as not sent. */
  failed(id: string, note: string): void {
    const i = this.#lines.findIndex((l) => l.id === id && l.status === 'pending');
    if (i >= 0) this.#lines[i] = { ...this.#lines[i]!, status: 'failed', note };
  }

  #removePending(id: string): void {
    const i = this.#lines.findIndex((l) => l.id === id && l.status === 'pending');
    if (i >= 0) this.#lines.splice(i, 1);
  }

  #firstPending(): number {
    const i = this.#lines.findIndex((l) => l.status === 'pending');
    return i < 0 ? this.#lines.length : i;
  }

  /** After the last line that is not pending and not a later publication of the same epoch. */
  #orderedIndex(position: Position): number {
    let i = this.#firstPending();
    while (i > 0) {
      const before = this.#lines[i - 1]!.position;
      if (before === undefined || before.epoch !== position.epoch || before.offset < position.offset) break;
      i--;
    }
    return i;
  }

  #insertAt(index: number, line: ChatLine): void {
    this.#lines.splice(index, 0, line);
    while (this.#lines.length > MAX_LINES) {
      const dropped = this.#lines.shift()!;
      if (dropped.position !== undefined) this.#seen.delete(keyOf(dropped.position));
    }
  }
}
