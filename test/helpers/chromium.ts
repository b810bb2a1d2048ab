// Test helper: one headless Chromium (Debian /usr/bin/chromium through playwright-core) per test file.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireExecutable } from './prereqs.ts';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Launches Chromium headless; close it in `after()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireExecutable(CHROMIUM_PATH, 'chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
}

/**
 * A page loaded from http://127.0.0.1 (a tiny server started here), so WebSockets to loopback pass Chromium's
 * Local Network Access checks (about:blank is a public context and gets ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
 * `close()` stops the page server.
 */
export async function loopbackPage(browser: Browser): Promise<{ page: Page; origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><meta charset="utf-8"><title>switchboard interop</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${origin}/`);
  return {
    page,
    origin,
    close: async () => {
      await page.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The page of {@link pagePerFile}, readable from the first test on. */
export interface FilePage {
  readonly page: Page;
  /** The page's origin (`http://127.0.0.1:PORT`), for origin policies. */
  readonly origin: string;
}

/**
 * One Chromium and one {@link loopbackPage} for a whole test file: launched in `before()`, closed in `after()`.
 * Call it at the top level of the file.
 * @param ready Runs once the page is loaded (in the same `before()`), e.g. to install a harness in it.
 */
export function pagePerFile(ready?: (page: Page) => Promise<unknown>): FilePage {
  let browser: Browser | undefined;
  let loaded: Awaited<ReturnType<typeof loopbackPage>> | undefined;
  before(async () => {
    browser = await launchChromium();
    loaded = await loopbackPage(browser);
    await ready?.(loaded.page);
  });
  after(async () => {
    await loaded?.close();
    await browser?.close();
  });
  const current = () => {
    if (loaded === undefined) throw new Error('The page is not loaded yet: read it inside a test');
    return loaded;
  };
  return {
    get page() {
      return current().page;
    },
    get origin() {
      return current().origin;
    },
  };
}
