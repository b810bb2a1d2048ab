// The chat page on the finished SDK in Chromium: a network cut shows "reconnecting", then "Reconnected", the missed
// messages are recovered (with a "Recovered N missed messages" line) and none is shown twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { MemoryBroker } from '../../src/broker/index.ts';
import { Client } from '../../src/client/index.ts';
import type { SwitchboardServer } from '../../src/http/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startChatServer } from './chat-server.ts';
import { engineTransport, tokenFor } from '../helpers/client-faults.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

declare const document: {
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
};

let browser: Browser;
let server: SwitchboardServer;
let broker: MemoryBroker;
let proxy: TcpProxy;
let port = 0;

before(async () => {
  ({ server, broker, port } = await startChatServer());
  proxy = await new TcpProxy(port).listen();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await server?.close({ timeoutMs: 500 });
  await broker?.close();
});

test('chat page: a cut shows reconnecting, then reconnected with the missed messages recovered once', {
  timeout: 60_000,
}, async (t) => {
  const page = await browser.newPage();
  t.after(() => page.close());
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  await page.fill('#login-name', 'carol');
  await page.click('#login-button');
  await page.waitForSelector('#status[data-state="connected"]');
  await page.waitForFunction(() => document.querySelector('#room-title')?.textContent === '# general');
  const dave = new Client({
    url: `ws://127.0.0.1:${port}/ws`,
    transport: engineTransport,
    token: await tokenFor('dave'),
  });
  t.after(() => dave.close());
  await dave.connect();
  await dave.publish('chat:general', { text: 'before the cut' });
  await page.waitForFunction(
    () => document.querySelector('#messages')?.textContent?.includes('before the cut') === true,
  );

  proxy.refuse(true);
  proxy.cut();
  await page.waitForSelector('#status[data-state="disconnected"]');
  const shown = await page.locator('#status').textContent();
  for (const text of ['missed one', 'missed two', 'missed three']) await dave.publish('chat:general', { text });
  proxy.refuse(false);
  await page.waitForSelector('#status[data-state="connected"]');
  await page.waitForFunction(() => document.querySelector('#messages')?.textContent?.includes('missed three') === true);
  const lines = await page.locator('#messages li .text').allTextContents();
  console.log(`# chat page figures ${JSON.stringify({ shownWhileCut: shown, lines })}`);
  assert.match(shown ?? '', /reconnecting/);
  assert.ok(lines.includes('Connection lost, reconnecting…'));
  assert.ok(lines.includes('Reconnected'));
  assert.ok(lines.includes('Recovered 3 missed messages'));
  for (const text of ['before the cut', 'missed one', 'missed two', 'missed three']) {
    assert.equal(lines.filter((l) => l === text).length, 1, `${text} shown once`);
  }
  assert.ok(
    lines.indexOf('missed one') < lines.indexOf('missed two') &&
      lines.indexOf('missed two') < lines.indexOf('missed three'),
  );
  assert.deepEqual(problems, []);
});
