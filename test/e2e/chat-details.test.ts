// The chat page's details in Chromium: the badge before sign-in, the server's explanation of a refused name, the
// chat hidden until signed in, sign-in kept across a reload and sign-out, no typing for a private-message draft,
// presence greyed while offline, a pending mark until the ack, unread counts of others' messages only, long names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/index.ts';
import type { SwitchboardServer } from '../../src/http/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startChatServer } from './chat-server.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { openChat, screenshot, shownTexts, signIn, waitForText, type ChatPage } from './chat-page.ts';

/** The page's `document`, as used inside `evaluate` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): {
    scrollWidth: number;
    clientWidth: number;
    getAttribute(name: string): string | null;
    textContent: string | null;
  } | null;
};

let browser: Browser;
let server: SwitchboardServer;
let broker: MemoryBroker;
let proxy: TcpProxy;
let port = 0;
let base = '';

before(async () => {
  ({ server, broker, port } = await startChatServer({ typing: { throttleMs: 500, expireMs: 4000 } }));
  base = `http://127.0.0.1:${port}`;
  proxy = await new TcpProxy(port).listen();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.close({ timeoutMs: 500 });
  await broker?.close();
});

async function send(chat: ChatPage, text: string): Promise<void> {
  await chat.page.fill('#message-input', text);
  await chat.page.click('#send-button');
}

function unreadOf(page: Page, room: string): Promise<string | null> {
  return page
    .locator(`#rooms li[data-room="${room}"]`)
    .evaluate(
      (li) =>
        (li as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector('.unread')
          ?.textContent ?? null,
    );
}

test("signed out: the badge says so, the chat is hidden, a refused name shows the server's reason until a good sign-in", async (t) => {
  const chat = await openChat(browser, base);
  t.after(() => chat.page.context().close());
  assert.equal(await chat.page.locator('#status').textContent(), 'not signed in');
  assert.equal(await chat.page.locator('#chat').isVisible(), false, 'the chat stays hidden under the login form');
  assert.equal(await chat.page.locator('#login').isVisible(), true);
  assert.equal(await chat.page.locator('#signout-button').isVisible(), false);
  await screenshot(chat.page, 'chat-signed-out');

  await chat.page.fill('#login-name', 'bob smith');
  await chat.page.click('#login-button');
  await chat.page.waitForSelector('#status[data-state="error"]');
  const error = await chat.page.locator('#error').textContent();
  assert.match(error ?? '', /A user name is 1-32 of A-Z a-z 0-9 _ - \./, "the server's explanation is shown");
  assert.match(error ?? '', /HTTP 400/);
  assert.equal(await chat.page.locator('#error').isVisible(), true);
  assert.equal(await chat.page.locator('#chat').isVisible(), false);
  await screenshot(chat.page, 'chat-login-error');

  // A slow token endpoint (a real delay on the real request) leaves time to see the connecting state.
  await chat.page.route('**/api/dev-token', async (route) => {
    await new Promise((r) => setTimeout(r, 800));
    await route.continue();
  });
  await chat.page.fill('#login-name', 'carol');
  await chat.page.click('#login-button');
  await chat.page.waitForSelector('#status[data-state="connecting"]');
  assert.equal(await chat.page.locator('#status').textContent(), 'connecting…');
  await screenshot(chat.page, 'chat-connecting');
  await chat.page.waitForSelector('#status[data-state="connected"]');
  await chat.page.unroute('**/api/dev-token');
  assert.equal(await chat.page.locator('#error').textContent(), '', 'the old error is cleared by a successful sign-in');
  assert.equal(await chat.page.locator('#login').isVisible(), false);
  assert.equal(await chat.page.locator('#chat').isVisible(), true);
  assert.deepEqual(chat.problems, []);
});

test('a reload signs in again with the same name; sign-out forgets it', async (t) => {
  const chat = await openChat(browser, base);
  t.after(() => chat.page.context().close());
  await signIn(chat, 'dora');
  await chat.page.reload();
  await chat.page.waitForSelector('#status[data-state="connected"]');
  assert.equal(await chat.page.locator('#me').textContent(), 'signed in as dora');
  assert.equal(await chat.page.locator('#login').isVisible(), false);

  await chat.page.click('#signout-button');
  await chat.page.waitForSelector('#login:visible');
  assert.equal(await chat.page.locator('#status').textContent(), 'not signed in');
  assert.equal(await chat.page.locator('#chat').isVisible(), false);
  assert.equal(await chat.page.locator('#error').textContent(), '', 'signing out is not an error');
  await chat.page.reload();
  await chat.page.waitForSelector('#login:visible');
  assert.equal(
    await chat.page.locator('#status').textContent(),
    'not signed in',
    'after sign-out a reload stays signed out',
  );
  assert.deepEqual(chat.problems, []);
});

test('a private-message draft sends no typing to the room; a room draft does, and a command stops it', async (t) => {
  const alice = await openChat(browser, base);
  const bob = await openChat(browser, base);
  t.after(async () => {
    await alice.page.context().close();
    await bob.page.context().close();
  });
  await signIn(alice, 'alice');
  await signIn(bob, 'bob');
  await alice.page.waitForSelector('#presence .name[title="bob"]');

  await bob.page.type('#message-input', '/msg alice a secret plan');
  // Typing events are relayed at once (the server throttles only repeats): a second is ample for one to arrive.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await alice.page.locator('#typing').textContent(), '', 'a /msg draft is not typing in #general');

  await bob.page.fill('#message-input', '');
  await bob.page.type('#message-input', 'hel');
  await alice.page.waitForSelector('#typing:text-is("bob is typing…")');
  await bob.page.fill('#message-input', '');
  await bob.page.type('#message-input', '/msg alice psst');
  await alice.page.waitForFunction(() => document.querySelector('#typing')?.textContent === '');
  await bob.page.click('#send-button');
  await alice.page.click('#rooms li[data-room="(private)"]');
  await waitForText(alice.page, 'psst');
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

test("offline: presence is greyed, a message stays pending until acknowledged; unread counts only others' messages", {
  timeout: 60_000,
}, async (t) => {
  const alice = await openChat(browser, `http://127.0.0.1:${proxy.port}`);
  const bob = await openChat(browser, base);
  t.after(async () => {
    await alice.page.context().close();
    await bob.page.context().close();
  });
  await signIn(alice, 'erin');
  await signIn(bob, 'frank');
  await alice.page.waitForSelector('#presence .name[title="frank"]');
  assert.equal(await alice.page.locator('#presence.unknown').count(), 0);

  proxy.refuse(true);
  proxy.cut();
  await alice.page.waitForSelector('#status[data-state="disconnected"]');
  assert.match((await alice.page.locator('#status').textContent()) ?? '', /^reconnecting(…| in \d+ s…)$/);
  assert.equal(await alice.page.locator('#presence.unknown').count(), 1, 'presence is marked unknown while offline');
  assert.equal(await alice.page.locator('#presence-note').isVisible(), true);
  await screenshot(alice.page, 'chat-disconnected');
  await send(alice, 'written offline');
  const pending = alice.page.locator('#messages li[data-status="pending"]');
  await pending.waitFor();
  assert.equal(await pending.locator('.text').textContent(), 'written offline');
  assert.equal(await pending.locator('.mark').textContent(), 'sending…');
  await screenshot(alice.page, 'chat-pending');

  proxy.refuse(false);
  await alice.page.waitForSelector('#status[data-state="connected"]', { timeout: 40_000 });
  await pending.waitFor({ state: 'detached' });
  await waitForText(bob.page, 'written offline');
  assert.equal(
    (await shownTexts(alice.page)).filter((l) => l === 'written offline').length,
    1,
    'shown once after the ack',
  );
  assert.equal(await alice.page.locator('#presence.unknown').count(), 0);
  assert.equal(await alice.page.locator('#presence-note').isVisible(), false);
  await screenshot(alice.page, 'chat-reconnected');

  // Unread: erin looks at another room; her own private message and connection notices are not unread.
  await alice.page.fill('#room-input', 'side');
  await alice.page.click('#join-button');
  await alice.page.waitForSelector('#room-title:text-is("# side")');
  await send(alice, '/msg frank are you there');
  await bob.page.waitForFunction(
    () => document.querySelector('#rooms li[data-room="(private)"] .unread')?.textContent === '(1)',
  );
  // A cut without refusing: the reconnect may be too quick to see the badge change, the notices stay.
  proxy.cut();
  await waitForText(alice.page, 'Connection lost, reconnecting…');
  await waitForText(alice.page, 'Reconnected');
  await alice.page.waitForSelector('#status[data-state="connected"]', { timeout: 40_000 });
  await send(bob, 'one for general');
  await send(bob, 'two for general');
  await alice.page.waitForFunction(
    () => document.querySelector('#rooms li[data-room="general"] .unread')?.textContent === '(2)',
  );
  assert.equal(await unreadOf(alice.page, '(private)'), null, 'own private messages and notices are not unread');
  await send(bob, '/msg erin yes');
  await alice.page.waitForFunction(
    () => document.querySelector('#rooms li[data-room="(private)"] .unread')?.textContent === '(1)',
  );
  assert.equal(await unreadOf(alice.page, 'general'), '(2)');
  await alice.page.click('#rooms li[data-room="general"]');
  assert.equal(await unreadOf(alice.page, 'general'), null, 'reading the room clears its count');
  assert.deepEqual([...alice.problems, ...bob.problems], []);
});

test('a long anonymous name is cut with an ellipsis, whole in its tooltip, and does not widen the sidebar', async (t) => {
  const guest = await openChat(browser, base);
  const host = await openChat(browser, base);
  t.after(async () => {
    await guest.page.context().close();
    await host.page.context().close();
  });
  await signIn(guest, '');
  const me = (await guest.page.locator('#me').getAttribute('title')) ?? '';
  assert.match(me, /^anon-/);
  assert.ok(me.length > 30, `an anonymous id is long (${me})`);
  await signIn(host, 'gina');
  const entry = `#presence .name[title="${me}"]`;
  await host.page.waitForSelector(entry);
  const fit = await host.page.evaluate((selector) => {
    const name = document.querySelector(selector)!;
    const aside = document.querySelector('aside')!;
    return {
      nameCut: name.scrollWidth > name.clientWidth,
      asideOverflows: aside.scrollWidth > aside.clientWidth,
      text: name.textContent,
    };
  }, entry);
  assert.deepEqual(fit, { nameCut: true, asideOverflows: false, text: me });
  await screenshot(host.page, 'chat-long-name');
  assert.equal(
    await guest.page.evaluate(() => {
      const el = document.querySelector('#me')!;
      return el.scrollWidth > el.clientWidth;
    }),
    true,
    'the header cuts it too',
  );
  await screenshot(guest.page, 'chat-long-name-own');
  assert.deepEqual([...guest.problems, ...host.problems], []);
});

test('bad input in the message box: an unknown command and a refused private message say why', async (t) => {
  const chat = await openChat(browser, base);
  t.after(() => chat.page.context().close());
  await signIn(chat, 'hana');
  await send(chat, '/shout hello');
  await chat.page.waitForSelector('#error:text("Unknown command")');
  assert.equal(await chat.page.locator('#messages li[data-status]').count(), 0, 'nothing was sent');

  // A recipient id longer than any user id (255) is refused by the server's validation.
  await send(chat, `/msg ${'x'.repeat(300)} hello`);
  await chat.page.click('#rooms li[data-room="(private)"]');
  const failed = chat.page.locator('#messages li[data-status="failed"]');
  await failed.waitFor();
  assert.equal(await failed.locator('.text').textContent(), 'hello');
  assert.equal(await failed.locator('.mark').textContent(), 'not sent: invalid_message');
  assert.match(
    (await chat.page.locator('#error').textContent()) ?? '',
    /^invalid_message: .+/,
    "the server's refusal is shown",
  );
  await screenshot(chat.page, 'chat-refused-message');
  assert.deepEqual(chat.problems, []);
});
