// Editor page (browser): the other editors' cursors and selections, coloured and named. y-codemirror.next's own
// plugin paints colours with inline `style` attributes, which the page's CSP (`style-src 'self'`, no
// 'unsafe-inline') refuses; this one, ported from it, uses classes whose colour rules live in a constructable
// stylesheet adopted by the editor's shadow root (CSSOM, which the CSP allows), one rule per validated colour.
import { type Extension, RangeSet, type Range } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, type ViewUpdate, ViewPlugin, WidgetType } from '@codemirror/view';
import { yRemoteSelectionsTheme } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { safeColor, safeName } from './identity.ts';

/** The colour rules, one per colour seen; `#rrggbb` only (safeColor), so no peer text reaches the sheet. */
class ColorSheet {
  readonly #sheet = new CSSStyleSheet();
  readonly #known = new Set<string>();

  constructor(root: ShadowRoot) {
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, this.#sheet];
  }

  /** The class that paints `color` (a `#rrggbb`). */
  classFor(color: string): string {
    const key = `sb-c-${color.slice(1)}`;
    if (!this.#known.has(key)) {
      this.#known.add(key);
      this.#sheet.insertRule(`.${key}.cm-ySelectionCaret { background-color: ${color}; border-color: ${color}; }`);
      this.#sheet.insertRule(`.${key}.cm-ySelection, .${key}.cm-yLineSelection { background-color: ${color}33; }`);
    }
    return key;
  }
}

class CaretWidget extends WidgetType {
  readonly className: string;
  readonly name: string;

  constructor(className: string, name: string) {
    super();
    this.className = className;
    this.name = name;
  }

  override toDOM(): HTMLElement {
    const caret = document.createElement('span');
    caret.className = `cm-ySelectionCaret ${this.className}`;
    const dot = document.createElement('div');
    dot.className = 'cm-ySelectionCaretDot';
    const info = document.createElement('div');
    info.className = 'cm-ySelectionInfo';
    info.textContent = this.name;
    caret.append('\u2060', dot, '\u2060', info, '\u2060');
    return caret;
  }

  override eq(other: CaretWidget): boolean {
    return other.className === this.className && other.name === this.name;
  }

  override get estimatedHeight(): number {
    return -1;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

interface CursorState {
  readonly anchor: unknown;
  readonly head: unknown;
}

/**
 * Publishes this editor's selection in awareness (`cursor`, relative positions, as y-codemirror.next does) and paints
 * the others'.
 * @param ytext The shared text.
 * @param awareness The provider's awareness.
 * @param root The shadow root the editor lives in (where the colour rules are adopted).
 */
export function remoteCursors(ytext: Y.Text, awareness: Awareness, root: ShadowRoot): Extension {
  const colors = new ColorSheet(root);
  const doc = ytext.doc as Y.Doc;
  const plugin = ViewPlugin.fromClass(
    class {
      decorations: DecorationSet = RangeSet.empty;
      readonly #listener: (change: { added: number[]; updated: number[]; removed: number[] }) => void;

      constructor(view: EditorView) {
        this.#listener = ({ added, updated, removed }) => {
          if ([...added, ...updated, ...removed].some((id) => id !== doc.clientID)) view.dispatch({});
        };
        awareness.on('change', this.#listener);
      }

      destroy(): void {
        awareness.off('change', this.#listener);
      }

      update(update: ViewUpdate): void {
        this.#publish(update);
        this.decorations = this.#paint(update);
      }

      #publish(update: ViewUpdate): void {
        const local = awareness.getLocalState();
        if (local === null) return;
        const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus();
        const current = local['cursor'] as CursorState | null | undefined;
        if (hasFocus) {
          const sel = update.state.selection.main;
          const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor);
          const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head);
          const same =
            current != null &&
            Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) &&
            Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head);
          if (!same) awareness.setLocalStateField('cursor', { anchor, head });
        }
      }

      #paint(update: ViewUpdate): DecorationSet {
        const ranges: Range<Decoration>[] = [];
        const text = update.state.doc;
        awareness.getStates().forEach((state, clientId) => {
          if (clientId === doc.clientID) return;
          const cursor = state['cursor'] as CursorState | null | undefined;
          if (cursor?.anchor == null || cursor.head == null) return;
          let anchor: Y.AbsolutePosition | null;
          let head: Y.AbsolutePosition | null;
          try {
            anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), doc);
            head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc);
          } catch {
            return; // a malformed position from a peer: no cursor for it
          }
          if (anchor === null || head === null || anchor.type !== ytext || head.type !== ytext) return;
          const user = (state['user'] ?? {}) as { name?: unknown; color?: unknown };
          const className = colors.classFor(safeColor(user.color));
          const start = Math.min(anchor.index, head.index, text.length);
          const end = Math.min(Math.max(anchor.index, head.index), text.length);
          const startLine = text.lineAt(start);
          const endLine = text.lineAt(end);
          const mark = Decoration.mark({ class: `cm-ySelection ${className}` });
          if (startLine.number === endLine.number) {
            if (end > start) ranges.push(mark.range(start, end));
          } else {
            if (startLine.to > start) ranges.push(mark.range(start, startLine.to));
            if (end > endLine.from) ranges.push(mark.range(endLine.from, end));
            for (let i = startLine.number + 1; i < endLine.number; i++) {
              const from = text.line(i).from;
              ranges.push(Decoration.line({ class: `cm-yLineSelection ${className}` }).range(from));
            }
          }
          const side = head.index - anchor.index > 0 ? -1 : 1;
          const widget = new CaretWidget(className, safeName(user.name));
          ranges.push(Decoration.widget({ side, widget }).range(Math.min(head.index, text.length)));
        });
        return Decoration.set(ranges, true);
      }
    },
    { decorations: (v) => v.decorations },
  );
  return [yRemoteSelectionsTheme, namesShown, plugin];
}

/** Names always shown above the carets (not only on hover), cut with an ellipsis when long (a theme, so it wins over
 * y-codemirror.next's base theme that hides them). */
const namesShown = EditorView.theme({
  '.cm-ySelectionInfo': {
    opacity: 1,
    maxWidth: '12em',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    fontFamily: 'system-ui, sans-serif',
    borderRadius: '2px 2px 2px 0',
  },
});
