// The chat page's RPC commands in Chromium against `serve --dev` (what `npm start` runs): `/roll 2d6` and `/who`
// answered by the demo methods as lines only the asker sees, a refused roll and a lost connection shown as such,
// `/help`, with a 32-character name beside a short one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { DevServer, freePort, openChat, screenshot, signIn, type ChatPage } from './chat-page.ts';

/** The page's `document`, as used inside `waitForFunction` callbacks (they run in Chromium). */
declare const document: {
  querySelectorAll(selector: string): Iterable<{ textContent: string | null }>;
};

/** The longest name the sign-in form accepts (32 characters). */
const LONG_NAME = 'Maximiliana_Featherstonehaugh-32';

let browser: Browser;
let server: DevServer;

before(async () => {
  server = new DevServer(await freePort());
  await server.start();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.kill();
});

async function type(chat: ChatPage, text: string): Promise<void> {
  await chat.page.fill('#message-input', text);
  await chat.page.click('#send-button');
}

/** The room's system lines (notices and command answers). */
function systemLines(page: Page): Promise<string[]> {
  return page.locator('#messages li.system .text').allTextContents();
}

/** Waits for a system line matching `pattern` and returns it. */
async function waitForSystemLine(page: Page, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    ([source, flags]) =>
      [...document.querySelectorAll('#messages li.system .text')].some((el) =>
        new RegExp(source, flags).test(el.textContent ?? ''),
      ),
    [pattern.source, pattern.flags] as const,
  );
  const line = (await systemLines(page)).find((l) => pattern.test(l));
  assert.ok(line !== undefined);
  return line;
}

test('chat page: /roll 2d6 and /who are answered by the server, seen only by the asker; a refused roll says why', {
  timeout: 120_000,
}, async (t) => {
  assert.equal(LONG_NAME.length, 32);
  const alice = await openChat(browser, server.base);
  t.after(() => alice.page.context().close());
  await signIn(alice, 'alice');
  const other = await openChat(browser, server.base);
  t.after(() => other.page.context().close());
  await signIn(other, LONG_NAME);
  await alice.page.waitForSelector(`#presence .name[title="${LONG_NAME}"]`);

  await type(alice, '/roll 2d6');
  const rolled = await waitForSystemLine(alice.page, /^You rolled 2d6: /);
  const m = /^You rolled 2d6: ([1-6]) \+ ([1-6]) = (\d+)$/.exec(rolled);
  assert.ok(m !== null, rolled);
  assert.equal(Number(m[1]) + Number(m[2]), Number(m[3]), 'the total is the sum of the dice');

  await type(alice, '/who');
  const who = await waitForSystemLine(alice.page, /^In #general/);
  assert.equal(who, `In #general (2): ${LONG_NAME}, alice`);

  await type(other, '/who general');
  assert.equal(await waitForSystemLine(other.page, /^In #general/), `In #general (2): ${LONG_NAME}, alice`);

  await type(alice, '/roll 0d0');
  const refused = await waitForSystemLine(alice.page, /^\/roll 0d0 failed/);
  assert.equal(
    refused,
    '/roll 0d0 failed: refused by the server (invalid_message): roll: "sides" must be an integer from 2 to 1000',
  );
  assert.equal(await alice.page.locator('#error').textContent(), refused, 'the refusal is also in the alert line');
  await screenshot(alice.page, 'chat-rpc-refused');

  await type(alice, '/help');
  await waitForSystemLine(alice.page, /^\/roll \[NdM\]/);
  const help = await systemLines(alice.page);
  for (const command of ['/msg', '/roll', '/who', '/help'])
    assert.ok(
      help.some((l) => l.startsWith(command)),
      command,
    );
  await screenshot(alice.page, 'chat-rpc-commands');
  await screenshot(other.page, 'chat-rpc-commands-long-name');

  // Answers are local lines: the other page saw none of alice's rolls, and no message was published.
  const seenByOther = await systemLines(other.page);
  assert.equal(seenByOther.filter((l) => l.startsWith('You rolled') || l.includes('/roll 0d0')).length, 0);
  assert.deepEqual(await alice.page.locator('#messages li.message').count(), 0);
  assert.deepEqual(alice.problems, []);
  assert.deepEqual(other.problems, []);
});

test('chat page: a command sent while the server is down says it got no answer', { timeout: 120_000 }, async () => {
  const alice = await openChat(browser, server.base);
  await signIn(alice, 'alice2');
  await server.kill();
  await alice.page.waitForSelector('#status:not([data-state="connected"])');
  await type(alice, '/who');
  const line = await waitForSystemLine(alice.page, /^\/who general failed: /);
  assert.match(line, /not connected|no answer within 5 s \(timeout\)/);
  await screenshot(alice.page, 'chat-rpc-offline');
  await server.start();
  await alice.page.waitForSelector('#status[data-state="connected"]');
  await type(alice, '/roll d20');
  assert.match(await waitForSystemLine(alice.page, /^You rolled 1d20: /), /^You rolled 1d20: ([1-9]|1\d|20)$/);
});
