// The chat page across a server restart (kill -9, then `serve --dev` again on the same port): the new server starts
// a new epoch whose offsets repeat the old ones. Both pages must show the message queued while the server was down,
// and the live messages after it, from each side; the break in the stream is marked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import {
  DevServer,
  freePort,
  openChat,
  screenshot,
  shownTexts,
  signIn,
  waitForText,
  type ChatPage,
} from './chat-page.ts';

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

async function send(chat: ChatPage, text: string): Promise<void> {
  await chat.page.fill('#message-input', text);
  await chat.page.click('#send-button');
}

test('chat page: after a server restart both pages show the queued message and new live ones from each side', {
  timeout: 120_000,
}, async () => {
  const alice = await openChat(browser, server.base);
  await signIn(alice, 'alice');
  const bob = await openChat(browser, server.base);
  await signIn(bob, 'bob');
  await alice.page.waitForSelector('#presence .name[title="bob"]');

  await send(alice, 'hello from alice');
  await send(bob, 'hello from bob');
  for (const chat of [alice, bob]) {
    await waitForText(chat.page, 'hello from alice');
    await waitForText(chat.page, 'hello from bob');
  }
  await screenshot(alice.page, 'chat-before-restart');

  await server.kill();
  for (const chat of [alice, bob]) await chat.page.waitForSelector('#status:not([data-state="connected"])');
  await send(alice, 'queued while down');
  const pending = alice.page.locator('#messages li[data-status="pending"]');
  await pending.waitFor();
  assert.equal(await pending.locator('.text').textContent(), 'queued while down');
  assert.match((await pending.locator('.mark').textContent()) ?? '', /sending/);
  await screenshot(alice.page, 'chat-server-down-pending');

  const downAt = Date.now();
  await server.start();
  for (const chat of [alice, bob])
    await chat.page.waitForSelector('#status[data-state="connected"]', { timeout: 60_000 });
  const reconnectedMs = Date.now() - downAt;
  for (const chat of [alice, bob]) await waitForText(chat.page, 'queued while down');
  await alice.page.waitForSelector('#messages li[data-status="pending"]', { state: 'detached' });
  await bob.page.waitForSelector('#presence .name[title="alice"]');

  await send(alice, 'live from alice after the restart');
  await send(bob, 'live from bob after the restart');
  const expected = [
    'hello from alice',
    'hello from bob',
    'queued while down',
    'live from alice after the restart',
    'live from bob after the restart',
  ];
  for (const chat of [alice, bob]) {
    for (const text of expected) await waitForText(chat.page, text);
  }
  await screenshot(alice.page, 'chat-after-restart');
  await screenshot(bob.page, 'chat-after-restart-bob');

  for (const [who, chat] of [
    ['alice', alice],
    ['bob', bob],
  ] as const) {
    const texts = await shownTexts(chat.page);
    console.log(`# chat restart figures ${JSON.stringify({ who, reconnectedMs, texts })}`);
    for (const text of expected) assert.equal(texts.filter((t) => t === text).length, 1, `${who} shows "${text}" once`);
    assert.ok(
      texts.indexOf('hello from bob') < texts.indexOf('queued while down'),
      `${who}: the queued message comes after the old ones`,
    );
    assert.ok(
      texts.indexOf('queued while down') < texts.indexOf('live from alice after the restart'),
      `${who}: the queued message comes before the new ones`,
    );
    const all = await chat.page.locator('#messages li').allTextContents();
    const cut = all.findIndex((l) => /may be missing/.test(l));
    assert.ok(
      cut >= 0 && cut < all.findIndex((l) => l.includes('queued while down')),
      `${who}: the break comes before the new epoch's messages`,
    );
    assert.ok(
      cut > all.findIndex((l) => l.includes('hello from bob')),
      `${who}: the break comes after the old messages`,
    );
    const breaks = await chat.page.locator('#messages li.break').allTextContents();
    assert.equal(breaks.length, 1, `${who}: one visible break where the history was lost`);
    assert.match(breaks[0]!, /Messages may be missing here/);
    assert.equal(
      await chat.page.locator('#messages li[data-status]').count(),
      0,
      `${who}: no message left pending or failed`,
    );
    assert.equal(await chat.page.locator('#error').textContent(), '', `${who}: no error shown`);
    assert.deepEqual(chat.problems, [], `${who}: no page error`);
  }
});
