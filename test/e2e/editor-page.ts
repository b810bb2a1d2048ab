// E2E helper for the editor page: an in-process server with a `doc` document namespace (memory store) and the
// development token endpoint, a page per editor (each behind its own TCP proxy, so one can be cut off alone), the
// page's problems (errors and CSP violations) collected, and the shared text read back.
import type { Browser, Page } from 'playwright-core';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer, type SwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, Permissions } from '../../src/realtime/index.ts';
import { SECRET } from '../helpers/realtime.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

/** The page's globals, as used inside `evaluate` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const window: {
  editorSession?: {
    provider: { doc: { getText(name: string): { toString(): string } } };
    view: { state: { doc: { toString(): string } } } | null;
  };
};
declare const document: { addEventListener(type: string, listener: (e: { violatedDirective: string }) => void): void };
declare const console: { error(...args: unknown[]): void };

/** A listening editor server. */
export interface EditorServer {
  readonly server: SwitchboardServer;
  readonly broker: MemoryBroker;
  readonly port: number;
}

/** Starts the server with the `doc` namespace as collaborative documents; close it with `server.close()`. */
export async function startEditorServer(): Promise<EditorServer> {
  const broker = new MemoryBroker();
  const namespaces = createNamespaces({ doc: { document: true }, chat: {} });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces,
      permissions: new Permissions(namespaces),
      allowSameOrigin: true,
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    },
    devTokenKey: { type: 'secret', secret: SECRET },
  });
  const { port } = await server.listen();
  return { server, broker, port };
}

/** One editor: its page, its own proxy to the server, and what went wrong in it. */
export interface EditorPage {
  readonly page: Page;
  readonly proxy: TcpProxy;
  /** Page errors, console errors (CSP violations included) and dialogs: a healthy page has none. */
  readonly problems: string[];
  close(): Promise<void>;
}

/**
 * Opens `/editor?doc=<doc>` through a fresh proxy in a fresh context, signs in as `name` and waits for the synced badge.
 * @param size The viewport (screenshots).
 */
export async function openEditor(
  browser: Browser,
  serverPort: number,
  name: string,
  doc: string,
  size = { width: 900, height: 420 },
): Promise<EditorPage> {
  const proxy = await new TcpProxy(serverPort).listen();
  const context = await browser.newContext({ viewport: size });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A dropped connection logs a WebSocket error by itself; that is the network, not the page.
    if (msg.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(msg.text()))
      problems.push(`console: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
  });
  await page.goto(`http://127.0.0.1:${proxy.port}/editor?doc=${doc}`);
  await page.fill('#login-name', name);
  await page.click('#login-button');
  await page.waitForSelector('#status[data-state="connected"][data-synced="true"]');
  await page.waitForSelector('.cm-content');
  return {
    page,
    proxy,
    problems,
    close: async () => {
      await context.close().catch(() => undefined);
      await proxy.close();
    },
  };
}

/** The document's text as the page's Y.Doc holds it. */
export function sharedText(page: Page): Promise<string> {
  return page.evaluate(() => window.editorSession?.provider.doc.getText('codemirror').toString() ?? '');
}

/** The text in the CodeMirror view. */
export function shownText(page: Page): Promise<string> {
  return page.evaluate(() => window.editorSession?.view?.state.doc.toString() ?? '');
}
