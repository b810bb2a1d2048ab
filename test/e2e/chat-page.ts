// E2E helper for the chat page: a `serve --dev` child process (killable, restartable on the same port), a signed-in
// page with its problems collected, the texts shown, and screenshots when SCREENSHOT_DIR is set.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { documentsDirEnv, freshDocumentsDir } from '../helpers/documents-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

/** The page's `document`, as used inside `waitForFunction` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

/** A free loopback port (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `switchboard serve --dev` in a child process, as `npm start` runs it. */
export class DevServer {
  readonly port: number;
  readonly base: string;
  #child: ChildProcess | null = null;
  readonly #documentsDir = freshDocumentsDir();
  #log = '';

  constructor(port: number) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** Starts the server and waits until `/health` answers. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve', '--dev', '--port', String(this.port), '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own documents directory, kept across restart() like a real deployment's (test/helpers/documents-dir.ts).
      env: { ...process.env, NODE_OPTIONS: '', ...documentsDirEnv(this.#documentsDir) },
    });
    this.#child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.#log += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#log += d.toString();
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve --dev exited with ${child.exitCode}:\n${this.#log}`);
      try {
        if ((await fetch(`${this.base}/health`)).ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`serve --dev did not answer /health within 30 s:\n${this.#log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills the server with SIGKILL (no goodbye to the clients) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
}

export interface ChatPage {
  readonly page: Page;
  /** Page errors, console errors and dialogs: a healthy page has none. */
  readonly problems: string[];
}

/** Opens the chat page in a fresh context (its own sessionStorage and IndexedDB). */
export async function openChat(browser: Browser, base: string): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
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
  await page.goto(`${base}/`);
  return { page, problems };
}

/** Signs in from the login form and waits for the connected badge and the #general room. */
export async function signIn(chat: ChatPage, name: string): Promise<void> {
  await chat.page.fill('#login-name', name);
  await chat.page.click('#login-button');
  await chat.page.waitForSelector('#status[data-state="connected"]');
  await chat.page.waitForSelector('#room-title:text-is("# general")');
}

/** The texts of the shown messages, in order. */
export function shownTexts(page: Page): Promise<string[]> {
  return page.locator('#messages li .text').allTextContents();
}

/** Waits until a message with exactly this text is shown. */
export async function waitForText(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('#messages li .text')].some((el) => el.textContent === t),
    text,
  );
}

/** Saves a full-page screenshot as `<SCREENSHOT_DIR>/<name>.png` when SCREENSHOT_DIR is set (not in CI by default). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env['SCREENSHOT_DIR'];
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
