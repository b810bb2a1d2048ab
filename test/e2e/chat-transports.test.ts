// The chat page in Chromium behind a proxy that blocks WebSocket: with the upgrade refused, and with the upgrade
// accepted and its frames swallowed, the chat works over SSE; with the event stream blocked too, over long-polling;
// once the proxy lets WebSocket through, the page moves back to it. The badge names the transport in use.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/index.ts';
import { Client } from '../../src/client/index.ts';
import type { PublicationMessage } from '../../src/messages/index.ts';
import type { SwitchboardServer } from '../../src/http/index.ts';
import { engineTransport, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { HttpBlockingProxy } from '../helpers/http-proxy.ts';
import { openChat, screenshot, shownTexts, signIn, waitForText, type ChatPage } from './chat-page.ts';
import { startChatServer } from './chat-server.ts';

let browser: Browser;
let server: SwitchboardServer;
let broker: MemoryBroker;
let port = 0;

before(async () => {
  ({ server, broker, port } = await startChatServer());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close({ timeoutMs: 500 });
  await broker?.close();
});

/** The transport badge next to the connection state. */
async function badge(page: Page): Promise<{ transport: string | null; text: string | null; state: string | null }> {
  return {
    transport: await page.locator('#transport').getAttribute('data-transport'),
    text: await page.locator('#transport').textContent(),
    state: await page.locator('#status').getAttribute('data-state'),
  };
}

/** A user on a direct WebSocket, in #general, recording what it receives. */
async function directUser(t: { after(fn: () => void): void }, name: string) {
  const client = new Client({
    url: `ws://127.0.0.1:${port}/ws`,
    transport: engineTransport,
    token: await tokenFor(name),
  });
  t.after(() => client.close());
  await client.connect();
  const got: string[] = [];
  client.on('publication', (p: PublicationMessage) => got.push((p.data as { text?: string }).text ?? ''));
  await client.subscribe('chat:general');
  return { client, got };
}

/** The page and the direct user exchange one message each way; each is shown or received once. */
async function exchange(chat: ChatPage, other: Awaited<ReturnType<typeof directUser>>, tag: string): Promise<void> {
  await other.client.publish('chat:general', { text: `to the page ${tag}` });
  await waitForText(chat.page, `to the page ${tag}`);
  await chat.page.fill('#message-input', `from the page ${tag}`);
  await chat.page.click('#send-button');
  await waitFor(
    () => other.got.includes(`from the page ${tag}`),
    15_000,
    () => JSON.stringify(other.got),
  );
  await waitForText(chat.page, `from the page ${tag}`);
  const texts = await shownTexts(chat.page);
  for (const text of [`to the page ${tag}`, `from the page ${tag}`])
    assert.equal(texts.filter((x) => x === text).length, 1, `"${text}" shown once`);
}

/** Opens the page through `proxy`, signs in as `name`, and closes it all after the test. */
async function pageBehind(t: { after(fn: () => Promise<void>): void }, proxy: HttpBlockingProxy, name: string) {
  const chat = await openChat(browser, `http://127.0.0.1:${proxy.port}`);
  t.after(async () => {
    await chat.page.context().close();
    await proxy.close();
  });
  await signIn(chat, name);
  return chat;
}

test('chat page: WebSocket refused at the proxy -> the chat works over SSE, then back on WebSocket once allowed', {
  timeout: 90_000,
}, async (t) => {
  const proxy = await new HttpBlockingProxy(port).listen();
  proxy.websocket = 'refuse';
  const chat = await pageBehind(t, proxy, 'sara');
  await chat.page.waitForSelector('#transport[data-transport="sse"]');
  const onSse = await badge(chat.page);
  const dave = await directUser(t, 'dave');
  await exchange(chat, dave, 'over sse');
  await screenshot(chat.page, 'chat-transport-sse-websocket-refused');
  assert.ok(
    proxy.seen.some((r) => r.path === '/ws' && r.action === 'refused'),
    'the page did try WebSocket first',
  );

  proxy.websocket = 'pass';
  // The background probe runs after websocketRetryMs (10 s by default, 5-10 s with jitter).
  await chat.page.waitForSelector('#transport[data-transport="websocket"]', { timeout: 30_000 });
  await chat.page.waitForSelector('#status[data-state="connected"]');
  const back = await badge(chat.page);
  await exchange(chat, dave, 'back on websocket');
  await screenshot(chat.page, 'chat-transport-back-on-websocket');
  const texts = await shownTexts(chat.page);
  console.log(`# chat transports figures ${JSON.stringify({ onSse, back, texts })}`);
  assert.deepEqual(onSse, { transport: 'sse', text: 'via SSE', state: 'connected' });
  assert.deepEqual(back, { transport: 'websocket', text: 'via WebSocket', state: 'connected' });
  assert.equal(texts.filter((x) => x === 'to the page over sse').length, 1, 'the move repeated nothing');
  assert.deepEqual(chat.problems, []);
});

test('chat page: a proxy that accepts the WebSocket upgrade and swallows its frames -> the chat works over SSE', {
  timeout: 60_000,
}, async (t) => {
  const proxy = await new HttpBlockingProxy(port).listen();
  proxy.websocket = 'swallow';
  const chat = await pageBehind(t, proxy, 'sam');
  await chat.page.waitForSelector('#transport[data-transport="sse"]');
  const dave = await directUser(t, 'dave');
  await exchange(chat, dave, 'despite the swallowing proxy');
  await screenshot(chat.page, 'chat-transport-sse-frames-swallowed');
  assert.ok(proxy.seen.some((r) => r.path === '/ws' && r.action === 'swallowed'));
  assert.deepEqual(await badge(chat.page), { transport: 'sse', text: 'via SSE', state: 'connected' });
  assert.deepEqual(chat.problems, []);
});

test('chat page: WebSocket refused and the event stream blocked too -> long-polling, then back on WebSocket', {
  timeout: 90_000,
}, async (t) => {
  const proxy = await new HttpBlockingProxy(port).listen();
  proxy.websocket = 'refuse';
  proxy.blockedPaths.add('/http/stream');
  const chat = await pageBehind(t, proxy, 'polly');
  await chat.page.waitForSelector('#transport[data-transport="polling"]');
  const dave = await directUser(t, 'dave');
  await exchange(chat, dave, 'over long-polling');
  await screenshot(chat.page, 'chat-transport-long-polling');
  assert.deepEqual(await badge(chat.page), { transport: 'polling', text: 'via long-polling', state: 'connected' });
  proxy.websocket = 'pass';
  proxy.blockedPaths.clear();
  await chat.page.waitForSelector('#transport[data-transport="websocket"]', { timeout: 30_000 });
  await chat.page.waitForSelector('#status[data-state="connected"]');
  await exchange(chat, dave, 'after polling');
  assert.deepEqual(chat.problems, []);
});
