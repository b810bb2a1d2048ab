// Editor page (browser): CodeMirror 6 bound to the shared Y.Text. The view lives in a shadow root so CodeMirror's
// runtime styles go into a constructable (adopted) stylesheet instead of a <style> element: the page keeps the same
// strict CSP as the chat page (`style-src 'self'`, no nonce, no 'unsafe-inline').
import { markdown } from '@codemirror/lang-markdown';
import { basicSetup, EditorView } from 'codemirror';
import { yCollab } from 'y-codemirror.next';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { remoteCursors } from './cursors.ts';

const layout = EditorView.theme({
  '&': { height: '100%', fontSize: '15px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', lineHeight: '1.5' },
  '.cm-content': { padding: '0.8rem 0' },
});

/**
 * Mounts an editor of `ytext` into `host`.
 * @param host The element that holds the editor (its shadow root is created here).
 * @param ytext The shared text (`doc.getText('codemirror')`, as y-codemirror.next's examples name it).
 * @param awareness The provider's awareness (cursors, names, colours).
 * @returns The view; `destroy()` it to unmount.
 */
export function mountEditor(host: HTMLElement, ytext: Y.Text, awareness: Awareness): EditorView {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  root.replaceChildren();
  return new EditorView({
    doc: ytext.toString(),
    extensions: [
      basicSetup,
      markdown(),
      EditorView.lineWrapping,
      layout,
      // Sync and undo from y-codemirror.next; its cursor plugin is replaced by remoteCursors (CSP-safe colours).
      yCollab(ytext, null),
      remoteCursors(ytext, awareness, root),
    ],
    parent: root,
    root,
  });
}
