// Deleting a message on the chat page in Chromium, with two pages: the author's delete button, "message deleted" for
// everyone at once, and still after a reload (the tombstone in the history on join); no button on others' messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/index.ts';
import type { SwitchboardServer } from '../../src/http/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startChatServer } from './chat-server.ts';
import { openChat, screenshot, shownTexts, signIn, waitForText, type ChatPage } from './chat-page.ts';

let browser: Browser;
let server: SwitchboardServer;
let broker: MemoryBroker;
let base = '';

before(async () => {
  let port = 0;
  ({ server, broker, port } = await startChatServer());
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close({ timeoutMs: 500 });
  await broker?.close();
});

async function send(chat: ChatPage, text: string): Promise<void> {
  await chat.page.fill('#message-input', text);
  await chat.page.click('#send-button');
}

/** The line of a message, by its text. */
function line(chat: ChatPage, text: string) {
  return chat.page.locator('#messages li', { has: chat.page.locator('.text', { hasText: text }) });
}

test('the author deletes a message: both pages show "message deleted", also after a reload; others get no button', async () => {
  const alice = await openChat(browser, base);
  const bob = await openChat(browser, base);
  await signIn(alice, 'alice');
  await signIn(bob, 'bob');
  await send(alice, 'a regrettable message');
  await send(bob, 'a reply from bob');
  for (const chat of [alice, bob]) {
    await waitForText(chat.page, 'a regrettable message');
    await waitForText(chat.page, 'a reply from bob');
  }
  await alice.page.waitForSelector('#messages li:not([data-status]) .delete');
  assert.equal(await line(alice, 'a regrettable message').locator('.delete').count(), 1, 'own message: a button');
  assert.equal(await line(alice, 'a reply from bob').locator('.delete').count(), 0, "bob's message: none");
  assert.equal(await line(bob, 'a regrettable message').locator('.delete').count(), 0, "alice's message on bob's page");
  await screenshot(alice.page, 'chat-delete-before');

  await line(alice, 'a regrettable message').locator('.delete').click();
  for (const chat of [alice, bob]) {
    await waitForText(chat.page, 'message deleted');
    const texts = await shownTexts(chat.page);
    assert.ok(!texts.includes('a regrettable message'), `the text is gone: ${texts.join(' | ')}`);
    assert.ok(texts.includes('a reply from bob'));
  }
  await screenshot(bob.page, 'chat-delete-bob');

  // A reload subscribes afresh: the history on join carries the tombstone in the message's place.
  await bob.page.reload();
  await bob.page.waitForSelector('#status[data-state="connected"]');
  await waitForText(bob.page, 'a reply from bob');
  const after = await shownTexts(bob.page);
  assert.ok(after.includes('message deleted'), `after reload: ${after.join(' | ')}`);
  assert.ok(!after.includes('a regrettable message'));
  assert.ok(
    after.indexOf('message deleted') < after.indexOf('a reply from bob'),
    'the placeholder keeps the message’s place',
  );
  await screenshot(bob.page, 'chat-delete-after-reload');
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});
