// Editor page (browser): the page's elements, the connection badge, errors, and the list of editors (from awareness:
// name and colour; colours through CSSOM, which the CSP allows, never through a style attribute).
import type { DocumentStatus } from '../../src/client/documents.ts';
import { safeColor, safeName } from './identity.ts';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}

export const ui = {
  docName: element<HTMLSpanElement>('doc-name'),
  me: element<HTMLSpanElement>('me'),
  status: element<HTMLSpanElement>('status'),
  error: element<HTMLParagraphElement>('error'),
  login: element<HTMLElement>('login'),
  loginForm: element<HTMLFormElement>('login-form'),
  loginName: element<HTMLInputElement>('login-name'),
  loginButton: element<HTMLButtonElement>('login-button'),
  workspace: element<HTMLElement>('workspace'),
  editor: element<HTMLDivElement>('editor'),
  editors: element<HTMLUListElement>('editors'),
};

/** What the badge says for each state; `synced` adds that the server's copy has been merged. */
export function setStatus(state: DocumentStatus | 'signedout' | 'error', synced = false): void {
  ui.status.dataset['state'] = state;
  ui.status.dataset['synced'] = String(synced);
  ui.status.textContent =
    state === 'connected'
      ? synced
        ? 'connected · synced'
        : 'connected · syncing'
      : state === 'connecting'
        ? 'connecting…'
        : state === 'disconnected'
          ? 'offline: edits are kept and merged on reconnect'
          : state === 'error'
            ? 'error'
            : 'not signed in';
}

export function showError(text: string): void {
  ui.error.textContent = text;
}

export function clearError(): void {
  ui.error.textContent = '';
}

export function showSignedIn(name: string, docName: string): void {
  ui.me.textContent = name;
  ui.docName.textContent = docName;
  ui.login.hidden = true;
  ui.workspace.hidden = false;
}

/** One row per awareness state that has a `user` (ours first), with its colour and name. */
export function renderEditors(states: Map<number, Record<string, unknown>>, ownId: number): void {
  const rows: HTMLLIElement[] = [];
  const ids = [...states.keys()].sort((a, b) => (a === ownId ? -1 : b === ownId ? 1 : a - b));
  for (const id of ids) {
    const user = states.get(id)?.['user'] as { name?: unknown; color?: unknown } | undefined;
    if (user === undefined) continue;
    const li = document.createElement('li');
    li.dataset['client'] = String(id);
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.backgroundColor = safeColor(user.color);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = safeName(user.name);
    name.title = safeName(user.name);
    li.append(swatch, name);
    if (id === ownId) {
      const you = document.createElement('span');
      you.className = 'you';
      you.textContent = '(you)';
      li.append(you);
    }
    rows.push(li);
  }
  ui.editors.replaceChildren(...rows);
}
