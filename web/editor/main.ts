// Editor page (browser): a shared Markdown document (`/editor?doc=<name>`, default `readme`) edited by everyone who
// opens it: CodeMirror 6 over a Yjs document that the Switchboard client keeps in sync (switchboard/documents), with
// the other editors' cursors and selections, the list of editors and the connection state.
// This file is the entry point: signing in (development tokens, as on the chat page) and opening the document.
import { Client, ClientError } from '../../src/client/index.ts';
import { type DocumentProvider, createDocumentProvider } from '../../src/client/documents.ts';
import { SignInError, fetchToken, forgetName, rememberName, rememberedName } from '../sign-in.ts';
import type { EditorView } from 'codemirror';
import { mountEditor } from './editor.ts';
import { userFor } from './identity.ts';
import { clearError, renderEditors, setStatus, showError, showSignedIn, ui } from './view.ts';

/** The document named in the URL: 1-64 of `A-Z a-z 0-9 _ -`, else `readme`. */
function documentName(): string {
  const asked = new URLSearchParams(location.search).get('doc');
  return asked !== null && /^[A-Za-z0-9_-]{1,64}$/.test(asked) ? asked : 'readme';
}

function describe(err: unknown): string {
  return err instanceof ClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

/** The open session, exposed for the end-to-end tests and the curious (`window.editorSession`). */
interface EditorSession {
  readonly client: Client;
  readonly provider: DocumentProvider;
  /** The editor, once mounted. */
  view: EditorView | null;
}

async function open(name: string): Promise<void> {
  const docName = documentName();
  let first: string | undefined | null = await fetchToken(name);
  const client = new Client({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    transport: (u, p) => new WebSocket(u, p),
    // The first connection uses the token that checked the name; every later one (and each refresh) asks again.
    getToken: async () => {
      const token = first;
      first = null;
      return token === null ? await fetchToken(name) : token;
    },
    name: 'switchboard-editor/1',
  });
  // A copy in IndexedDB: the document opens offline, and edits made offline survive a reload (they reach the server
  // through the state-vector exchange once it is reachable; a server that lost the document gets it back too).
  const provider = createDocumentProvider(client, `doc:${docName}`, {
    ...(typeof indexedDB === 'undefined' ? {} : { persistence: 'indexeddb' as const }),
  });
  const { awareness, doc } = provider;
  awareness.setLocalStateField('user', userFor(name));
  const refresh = (): void => setStatus(provider.status, provider.synced);
  provider.on('status', refresh);
  provider.on('sync', refresh);
  provider.on('error', (e) => showError(`${e.code}: ${e.message}`));
  awareness.on('change', () => renderEditors(awareness.getStates(), doc.clientID));
  client.on('close', (e) => {
    if (client.state === 'closed') showError(`Connection closed (${e.code}${e.reason === '' ? '' : `: ${e.reason}`})`);
  });
  const session: EditorSession = { client, provider, view: null };
  (globalThis as { editorSession?: EditorSession }).editorSession = session;
  const connected = await client.connect();
  rememberName(name);
  clearError();
  showSignedIn(connected.user, docName);
  renderEditors(awareness.getStates(), doc.clientID);
  session.view = mountEditor(ui.editor, doc.getText('codemirror'), awareness);
  refresh();
}

function signIn(name: string): void {
  if (name === '') {
    showError('Enter a name: the other editors see it beside your cursor');
    return;
  }
  setStatus('connecting');
  clearError();
  ui.loginButton.disabled = true;
  open(name)
    .catch((err: unknown) => {
      if (err instanceof SignInError && err.refused) forgetName();
      setStatus('error');
      showError(describe(err));
    })
    .finally(() => {
      ui.loginButton.disabled = false;
    });
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  signIn(ui.loginName.value.trim());
});

setStatus('signedout');
ui.docName.textContent = documentName();
const remembered = rememberedName();
if (remembered !== null && remembered !== '') {
  ui.loginName.value = remembered;
  signIn(remembered);
}
