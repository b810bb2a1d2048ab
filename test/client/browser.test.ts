// The SDK in Chromium: fault (e), network offline/online shows reconnecting then recovery with no lost message (and the
// browser's IndexedDB outbox delivers what was published offline); switchboard/react hooks render a live channel.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client } from '../../src/client/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

// Page-side globals used inside page.evaluate / waitForFunction callbacks (this file is type-checked without the DOM lib).
declare const window: unknown;
declare const document: {
  getElementById(
    id: string,
  ): { readonly dataset: Record<string, string | undefined>; readonly textContent: string | null } | null;
};

let browser: Browser;
let origin = '';
let pageServer: http.Server;

before(async () => {
  const bundle = await build({
    entryPoints: ['test/client/fixtures/browser-app.js'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const js = Buffer.from(bundle.outputFiles[0]!.contents);
  pageServer = http.createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(js);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><meta charset="utf-8"><title>sdk</title><p id="status">idle</p><div id="react-root"></div><div id="own-root"></div><script type="module" src="/app.js"></script>',
    );
  });
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  pageServer?.closeAllConnections();
  await new Promise((r) => pageServer?.close(r));
});

async function openPage(t: { after(fn: () => Promise<void>): void }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => typeof (window as unknown as { sbStart?: unknown }).sbStart === 'function');
  return { context, page };
}

test('chromium: offline then online shows reconnecting, then recovers every message once, in order; the offline outbox is delivered (fault e)', {
  timeout: 90_000,
}, async (t) => {
  const server = await startFaultHub(t, { origins: [origin] });
  const proxy = await startProxy(t, server.port);
  const { context, page } = await openPage(t);
  const publisher = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('node-pub'),
  });
  const watcher = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('node-watch'),
  });
  t.after(() => {
    publisher.close();
    watcher.close();
  });
  await Promise.all([publisher.connect(), watcher.connect()]);
  const fromBrowser: number[] = [];
  watcher.subscription('chat:from-browser').on('publication', (p) => fromBrowser.push((p.data as { i: number }).i));
  await watcher.subscribe('chat:from-browser');
  await page.evaluate((c) => (window as unknown as { sbStart(c: unknown): Promise<void> }).sbStart(c), {
    url: `ws://127.0.0.1:${proxy.port}/ws`,
    token: await tokenFor('browser'),
    channel: 'chat:browser',
  });
  const sb = (): Promise<{ received: number[]; states: string[]; acked: number }> =>
    page.evaluate(() => {
      const s = (window as unknown as { sb: { received: number[]; states: string[]; acked: number } }).sb;
      return { received: [...s.received], states: [...s.states], acked: s.acked };
    });
  let sent = 0;
  for (; sent < 20; sent++) await publisher.publish('chat:browser', { i: sent });

  // Verify what network emulation does to a WebSocket that is already open.
  await context.setOffline(true);
  await new Promise((r) => setTimeout(r, 2500));
  const stateAfterOffline = await page.locator('#status').getAttribute('data-state');
  const offlineAloneDropped = stateAfterOffline !== 'connected';
  // Either way the network is now really gone for this page: cut its TCP path and refuse new connections.
  proxy.refuse(true);
  proxy.cut();
  await page.waitForFunction(
    () =>
      document.getElementById('status')?.dataset['state'] === 'disconnected' ||
      document.getElementById('status')?.dataset['state'] === 'connecting',
  );
  const shownWhileOffline = await page.locator('#status').textContent();
  for (; sent < 40; sent++) await publisher.publish('chat:browser', { i: sent });
  await page.evaluate(() => (window as unknown as { sbPublish(n: number): void }).sbPublish(10));
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(fromBrowser.length, 0, 'nothing leaves the browser while offline');
  await context.setOffline(false);
  proxy.refuse(false);
  await page.waitForFunction(() => document.getElementById('status')?.dataset['state'] === 'connected', null, {
    timeout: 20_000,
  });
  for (; sent < 50; sent++) await publisher.publish('chat:browser', { i: sent });
  await waitFor(
    () => fromBrowser.length >= 10,
    10_000,
    () => `(from browser ${fromBrowser.length})`,
  );
  let view = await sb();
  const deadline = Date.now() + 10_000;
  while (view.received.length < 50 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    view = await sb();
  }
  const figures = {
    sent,
    received: view.received.length,
    unique: new Set(view.received).size,
    offlineAloneDroppedOpenSocket: offlineAloneDropped,
    shownWhileOffline,
    browserQueued: 10,
    browserAcked: view.acked,
    deliveredFromBrowser: fromBrowser.length,
    states: view.states,
  };
  console.log(`# fault (e) figures ${JSON.stringify(figures)}`);
  assert.deepEqual(
    view.received,
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(
    fromBrowser,
    Array.from({ length: 10 }, (_, i) => i),
  );
  assert.match(shownWhileOffline ?? '', /reconnecting|connecting/);
  assert.ok(
    view.states.some((s) => s.startsWith('disconnected:')),
    view.states.join(' '),
  );
  assert.equal(view.states.at(-1), 'connected:connected');
});

test('chromium: switchboard/react hooks render state, messages, presence and typing of a live channel', {
  timeout: 60_000,
}, async (t) => {
  const server = await startFaultHub(t, { origins: [origin] });
  const { page } = await openPage(t);
  await page.evaluate(async (c) => (window as unknown as { sbReact(c: unknown): void }).sbReact(c), {
    url: `ws://127.0.0.1:${server.port}/ws`,
    token: await tokenFor('reactor'),
    channel: 'chat:react',
  });
  await page.waitForFunction(() => document.getElementById('react-state')?.textContent === 'connected');
  await page.waitForFunction(() => document.getElementById('react-subscribed')?.textContent === 'true');
  const bob = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('bob'),
  });
  t.after(() => bob.close());
  await bob.connect();
  await bob.subscribe('chat:react', { presence: true });
  await page.waitForFunction(() => document.getElementById('react-presence')?.textContent?.includes('bob') === true);
  bob.typing('chat:react', true);
  await page.waitForFunction(() => document.getElementById('react-typing')?.textContent === 'bob');
  await bob.publish('chat:react', { text: 'hello react' });
  await page.waitForFunction(
    () => document.getElementById('react-messages')?.textContent?.includes('hello react') === true,
  );
  const seen: string[] = [];
  bob.subscription('chat:react').on('publication', (p) => seen.push((p.data as { text: string }).text));
  await page.click('#react-send');
  await waitFor(() => seen.includes('from react'), 5000);
  // Bob's copy and the page's render race: wait for the page to render its own message before reading the list.
  await page.waitForFunction(
    () => document.getElementById('react-messages')?.textContent?.includes('from react') === true,
  );
  const items = await page.locator('#react-messages li').allTextContents();
  assert.deepEqual(items, ['hello react', 'from react']);

  // useClient(options) under StrictMode: its own client connects, receives, and closes on unmount.
  const before = server.hub.connectionCount;
  await page.evaluate(async (c) => (window as unknown as { sbReactOwn(c: unknown): void }).sbReactOwn(c), {
    url: `ws://127.0.0.1:${server.port}/ws`,
    token: await tokenFor('owner'),
    channel: 'chat:react',
  });
  await page.waitForFunction(() => document.getElementById('own-state')?.textContent === 'connected');
  await bob.publish('chat:react', { text: 'to the owner' });
  await page.waitForFunction(() => document.getElementById('own-count')?.textContent === '1');
  await waitFor(
    () => server.hub.connectionCount === before + 1,
    5000,
    () => `(${server.hub.connectionCount} sessions)`,
  );
  await page.evaluate(() => (window as unknown as { sbUnmountOwn(): void }).sbUnmountOwn());
  await waitFor(
    () => server.hub.connectionCount === before,
    5000,
    () => `(${server.hub.connectionCount} sessions after unmount)`,
  );
});
