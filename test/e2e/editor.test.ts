// The editor page (/editor) in Chromium: two pages typing into one document at once end with identical text, each
// showing the other's named cursor; a page cut off from the server keeps editing and both merge when it is back;
// the page runs under the same strict CSP as the chat page (no violation reported).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { type EditorServer, openEditor, sharedText, shownText, startEditorServer } from './editor-page.ts';

/** The page's `document`, inside `waitForFunction` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const document: {
  querySelectorAll(selector: string): { length: number };
  createElement(tag: string): unknown;
  body: { appendChild(node: unknown): { setAttribute(name: string, value: string): void } };
};

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let browser: Browser;
let editor: EditorServer;

before(async () => {
  editor = await startEditorServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await editor?.server.close({ timeoutMs: 500 });
  await editor?.broker.close();
});

/** Polls the pages' texts until `check` holds for one text shared by every page (Y.Doc and view). */
async function settle(pages: Page[], check: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 20_000;
  let texts: string[] = [];
  for (;;) {
    texts = [];
    for (const page of pages) texts.push(await sharedText(page), await shownText(page));
    if (new Set(texts).size === 1 && check(texts[0] ?? '')) return texts[0] ?? '';
    if (Date.now() > deadline) throw new Error(`The pages did not converge: ${JSON.stringify(texts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function typeInto(page: Page, text: string): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text, { delay: 15 });
}

test('editor page: two pages type at once and end with identical text, each showing the other', {
  timeout: 90_000,
}, async (t) => {
  const alice = await openEditor(browser, editor.port, 'alice', 'together');
  const bob = await openEditor(browser, editor.port, 'bartholomew-with-a-long-name-xyz', 'together');
  t.after(() => alice.close());
  t.after(() => bob.close());
  const aliceLine = 'Alice writes this line at the same time. ';
  const bobLine = 'Bob types another one concurrently. ';
  await Promise.all([typeInto(alice.page, aliceLine), typeInto(bob.page, bobLine)]);
  const text = await settle([alice.page, bob.page], (s) => s.length === aliceLine.length + bobLine.length);
  // Characters may interleave where both typed at one place, but every one of both arrives exactly once.
  const sorted = (s: string): string => [...s].sort().join('');
  assert.equal(sorted(text), sorted(aliceLine + bobLine));

  // Presence: each page lists both editors, with their names.
  await alice.page.waitForFunction(() => document.querySelectorAll('#editors li').length === 2);
  await bob.page.waitForFunction(() => document.querySelectorAll('#editors li').length === 2);
  const listed = await alice.page.locator('#editors .name').allTextContents();
  assert.deepEqual([...listed].sort(), ['alice', 'bartholomew-with-a-long-name-xyz']);

  // Cursors: type a line each so both carets sit in view, then each page shows the other's named caret.
  await alice.page.click('.cm-content');
  await alice.page.keyboard.press('Control+Home');
  await alice.page.keyboard.type('# Shared notes\n', { delay: 10 });
  await bob.page.click('.cm-content');
  await bob.page.keyboard.press('Control+End');
  await bob.page.keyboard.press('Shift+Home');
  await alice.page.click('.cm-content');
  await alice.page.waitForSelector('.cm-ySelectionInfo:text("bartholomew-with-a-long-name-xyz")');
  await bob.page.waitForSelector('.cm-ySelectionInfo:text("alice")');
  await settle([alice.page, bob.page], (s) => s.startsWith('# Shared notes\n'));

  for (const dir of [process.env['SCREENSHOT_DIR'], '/tmp/switchboard-editor-screenshots']) {
    if (dir === undefined || dir === '') continue;
    mkdirSync(dir, { recursive: true });
    await alice.page.screenshot({ path: join(dir, 'editor-alice.png') });
    await bob.page.screenshot({ path: join(dir, 'editor-bob.png') });
  }
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
  // The CSP is enforced and its violations are caught: an inline style attribute is refused and reported.
  await alice.page.evaluate(() =>
    document.body.appendChild(document.createElement('p')).setAttribute('style', 'color: red'),
  );
  await waitUntil(() => alice.problems.some((p) => p.includes('CSP violation: style-src')), 'the CSP violation');
});

test('editor page: a page cut off keeps editing, shows it is offline, and both merge when it is back', {
  timeout: 90_000,
}, async (t) => {
  const alice = await openEditor(browser, editor.port, 'alice', 'offline');
  const bob = await openEditor(browser, editor.port, 'bob', 'offline');
  t.after(() => alice.close());
  t.after(() => bob.close());
  await typeInto(alice.page, 'start. ');
  await settle([alice.page, bob.page], (s) => s === 'start. ');

  bob.proxy.refuse(true);
  bob.proxy.cut();
  await bob.page.waitForSelector('#status[data-state="disconnected"], #status[data-state="connecting"]');
  await typeInto(bob.page, 'bob offline. ');
  await typeInto(alice.page, 'alice online. ');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await sharedText(alice.page)).includes('bob offline'), false, 'nothing crosses while cut');
  bob.proxy.refuse(false);
  await bob.page.waitForSelector('#status[data-state="connected"][data-synced="true"]');
  const text = await settle([alice.page, bob.page], (s) => s.includes('bob offline. ') && s.includes('alice online. '));
  assert.ok(text.startsWith('start. '));
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
});

test('editor page: the browser keeps the document (IndexedDB): a server that lost it (memory store, restarted) gets it back', {
  timeout: 90_000,
}, async (t) => {
  const first = await startEditorServer();
  t.after(async () => {
    await first.server.close({ timeoutMs: 500 }).catch(() => undefined);
    await first.broker.close().catch(() => undefined);
  });
  const alice = await openEditor(browser, first.port, 'alice', 'kept');
  t.after(() => alice.close());
  await typeInto(alice.page, 'written before the restart');
  await settle([alice.page], (s) => s === 'written before the restart');
  // Let y-indexeddb store it (it writes on every update, asynchronously).
  await new Promise((r) => setTimeout(r, 500));
  await first.server.close({ timeoutMs: 500 });
  await first.broker.close();
  await alice.page.waitForSelector('#status[data-state="disconnected"], #status[data-state="connecting"]');

  const second = await startEditorServer();
  t.after(async () => {
    await second.server.close({ timeoutMs: 500 });
    await second.broker.close();
  });
  alice.proxy.retarget(second.port);
  await alice.page.reload();
  await alice.page.waitForSelector('#status[data-state="connected"][data-synced="true"]');
  const bob = await openEditor(browser, second.port, 'bob', 'kept');
  t.after(() => bob.close());
  await settle([alice.page, bob.page], (s) => s === 'written before the restart');
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(bob.problems, []);
});
