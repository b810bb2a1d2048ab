// Realtime (documents): a large `sync2` or `update` sent in parts (`more: true` on every part but the last), so an
// offline edit bigger than `documentUpdateMaxBytes` still gets through frames of the usual size.
//
// Bounds, so parts cannot be used to exceed what a single update could do: every part is at most
// `documentUpdateMaxBytes` (checked before it gets here); the parts of one update together never exceed the room left
// in the document (`documentMaxBytes` minus its stored size: `document_too_large`, the parts dropped); a connection
// has at most one update in parts open at a time (a part of another document or kind is `invalid_message`), so it
// holds at most `documentMaxBytes` of parts; the parts are dropped when it leaves the document. The whole update then
// goes through every check of a single one (rate, validity, write permission, size) before it touches the document.
import { ErrorCode } from '../../messages/index.ts';

/** An update being received in parts. */
interface Open {
  readonly name: string;
  readonly kind: 'sync2' | 'update';
  readonly parts: Uint8Array[];
  bytes: number;
}

/** What {@link UpdateParts.add} decided. */
export type PartOutcome =
  | { readonly held: true }
  | { readonly whole: Uint8Array }
  | { readonly refused: { readonly code: ErrorCode; readonly message: string } };

/** The updates in parts of every connection of a node, one open at a time per connection. */
export class UpdateParts {
  readonly #open = new Map<string, Open>();

  /** Whether the peer has an update in parts open. */
  has(peerId: string): boolean {
    return this.#open.has(peerId);
  }

  /**
   * Takes one part (or the last one, `more` false).
   * @param roomBytes Bytes the document may still grow by (`documentMaxBytes` minus its size).
   */
  add(
    peerId: string,
    name: string,
    kind: 'sync2' | 'update',
    data: Uint8Array,
    more: boolean,
    roomBytes: number,
  ): PartOutcome {
    const open = this.#open.get(peerId);
    if (open !== undefined && (open.name !== name || open.kind !== kind)) {
      this.#open.delete(peerId);
      return {
        refused: {
          code: ErrorCode.INVALID_MESSAGE,
          message: `Cannot take a part of a ${kind} of ${name}: a ${open.kind} of ${open.name} in parts was not finished (dropped)`,
        },
      };
    }
    const bytes = (open?.bytes ?? 0) + data.byteLength;
    if (bytes > roomBytes) {
      this.#open.delete(peerId);
      return {
        refused: {
          code: ErrorCode.DOCUMENT_TOO_LARGE,
          message: `Cannot take the ${kind} in parts: the document would exceed its size limit (parts dropped)`,
        },
      };
    }
    if (more) {
      if (open === undefined) this.#open.set(peerId, { name, kind, parts: [data], bytes });
      else {
        open.parts.push(data);
        open.bytes = bytes;
      }
      return { held: true };
    }
    this.#open.delete(peerId);
    if (open === undefined) return { whole: data };
    const whole = new Uint8Array(bytes);
    let offset = 0;
    for (const part of [...open.parts, data]) {
      whole.set(part, offset);
      offset += part.byteLength;
    }
    return { whole };
  }

  /** Drops the peer's open update in parts (of `name` only, when given): it left the document or the connection. */
  drop(peerId: string, name?: string): void {
    const open = this.#open.get(peerId);
    if (open !== undefined && (name === undefined || open.name === name)) this.#open.delete(peerId);
  }
}
