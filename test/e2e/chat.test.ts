// The chat page in Chromium: two pages chat in a room, see presence and typing, one reloads and sees the history; no XSS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/index.ts';
import type { SwitchboardServer } from '../../src/http/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startChatServer } from './chat-server.ts';

/** The page's `document`, as used inside `waitForFunction` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

let browser: Browser;
let server: SwitchboardServer;
let broker: MemoryBroker;
let port = 0;
let base = '';

before(async () => {
  ({ server, broker, port } = await startChatServer({ typing: { throttleMs: 500, expireMs: 4000 } }));
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close({ timeoutMs: 500 });
  await broker?.close();
});

interface Watched {
  readonly page: Page;
  readonly problems: string[];
}

async function login(name: string): Promise<Watched> {
  const page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(`${base}/`);
  await page.fill('#login-name', name);
  await page.click('#login-button');
  await page.waitForSelector('#status[data-state="connected"]');
  return { page, problems };
}

test('two pages chat in a room, see each other in presence, see typing, reload to see the history; user text stays text (docs/security-cases.md AP-14)', async () => {
  const alice = await login('alice');
  const bob = await login('bob');
  await alice.page.waitForFunction(() => document.querySelector('#presence')?.textContent?.includes('bob') === true);
  await bob.page.waitForFunction(() => document.querySelector('#presence')?.textContent?.includes('alice') === true);

  await alice.page.type('#message-input', 'hel');
  await bob.page.waitForFunction(
    () => document.querySelector('#typing')?.textContent?.includes('alice is typing') === true,
  );

  const hostile = 'hello <img src=x onerror=alert(1)></script><script>alert(2)</script>';
  await alice.page.fill('#message-input', hostile);
  await alice.page.click('#send-button');
  await bob.page.waitForFunction(
    (text) => [...document.querySelectorAll('#messages li .text')].some((el) => el.textContent === text),
    hostile,
  );
  assert.equal(await bob.page.locator('#messages img').count(), 0, 'the message was rendered as text, not markup');
  await bob.page.waitForFunction(() => document.querySelector('#typing')?.textContent === '');

  await bob.page.fill('#message-input', 'hi alice');
  await bob.page.click('#send-button');
  await alice.page.waitForFunction(() =>
    [...document.querySelectorAll('#messages li .text')].some((el) => el.textContent === 'hi alice'),
  );

  await bob.page.fill('#message-input', '/msg alice a secret');
  await bob.page.click('#send-button');
  await alice.page.waitForFunction(() => document.querySelector('#rooms')?.textContent?.includes('(private)') === true);
  await alice.page.click('#rooms li[data-room="(private)"]');
  await alice.page.waitForFunction(() =>
    [...document.querySelectorAll('#messages li.private .text')].some((el) => el.textContent === 'a secret'),
  );
  await alice.page.click('#rooms li[data-room="general"]');

  // A reload signs in again with the name this tab chose (sessionStorage), without the login form.
  await bob.page.reload();
  await bob.page.waitForSelector('#status[data-state="connected"]');
  assert.equal(await bob.page.locator('#me').textContent(), 'signed in as bob');
  await bob.page.waitForFunction((text) => {
    const texts = [...document.querySelectorAll('#messages li .text')].map((el) => el.textContent);
    return texts.includes(text) && texts.includes('hi alice');
  }, hostile);

  mkdirSync('test-artifacts', { recursive: true });
  await bob.page.screenshot({ path: 'test-artifacts/chat.png', fullPage: true });
  for (const w of [alice, bob]) assert.deepEqual(w.problems, [], 'no dialog, no page error, no CSP violation');
});
