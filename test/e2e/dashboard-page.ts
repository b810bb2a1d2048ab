// E2E helper for the dashboard page: waiting until the dev server's demo feeds have published, opening the page with
// its problems collected, and reading the rows' stream positions.
import type { Browser, Page } from 'playwright-core';
import { Client } from '../../src/client/index.ts';
import { engineTransport } from '../helpers/client-faults.ts';

/** The page's `document`, as used inside `waitForFunction` callbacks (they run in Chromium; the test tsconfig has no DOM lib). */
declare const document: {
  querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
};

export interface DashboardPage {
  readonly page: Page;
  /** Page errors, console errors (a CSP refusal of an inline style is one) and dialogs: a healthy page has none. */
  readonly problems: string[];
}

/**
 * Waits until `channel` holds at least one publication on the server (the demo feeds have ticked), so the page
 * has a snapshot to fill from.
 */
export async function waitForFeed(port: number, channel: string): Promise<void> {
  const client = new Client({ url: `ws://127.0.0.1:${port}/ws`, transport: engineTransport });
  try {
    await client.connect();
    const deadline = Date.now() + 30_000;
    while ((await client.history(channel, { limit: 1 })).offset < 1) {
      if (Date.now() > deadline) throw new Error(`${channel} got no publication within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
}

/** Opens `/dashboard` (with an optional query) in a fresh context. */
export async function openDashboard(
  browser: Browser,
  base: string,
  options: { query?: string; width?: number; height?: number } = {},
): Promise<DashboardPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A dropped connection logs network errors by itself; that is the network, not the page.
    if (
      msg.type() === 'error' &&
      !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource|Failed to fetch/.test(msg.text())
    )
      problems.push(`console: ${msg.text()}`);
  });
  await page.goto(`${base}/dashboard${options.query ?? ''}`);
  return { page, problems };
}

/** Waits until at least `count` elements matching `selector` carry a `data-offset`. */
export async function waitForFilled(page: Page, selector: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([s, n]) =>
      Array.from(document.querySelectorAll(s as string)).filter((el) => el.getAttribute('data-offset') !== null)
        .length >= (n as number),
    [selector, count] as const,
  );
}

/** A row's shown stream position. */
export async function rowPosition(page: Page, symbol: string): Promise<{ epoch: string; offset: number }> {
  const row = page.locator(`#rows tr[data-symbol="${symbol}"]`);
  return {
    epoch: (await row.getAttribute('data-epoch')) ?? '',
    offset: Number((await row.getAttribute('data-offset')) ?? '0'),
  };
}

/** Waits until a row shows an offset above `offset`. */
export async function waitForOffsetAbove(page: Page, symbol: string, offset: number): Promise<void> {
  await page.waitForFunction(
    ([s, o]) => {
      const row = Array.from(document.querySelectorAll(`#rows tr[data-symbol="${s}"]`))[0];
      return Number(row?.getAttribute('data-offset') ?? '0') > (o as number);
    },
    [symbol, offset] as const,
  );
}

/** Whether the page is wider than its viewport (a layout that broke out sideways). */
export function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  ) as Promise<boolean>;
}

/** An attribute of every element matching `selector`, in document order (null where absent). */
export function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return page.evaluate(
    `Array.from(document.querySelectorAll(${JSON.stringify(selector)})).map((e) => e.getAttribute(${JSON.stringify(name)}))`,
  ) as Promise<(string | null)[]>;
}

/** The computed text colour of every element matching `selector`, with its row's `data-direction`. */
export function colours(page: Page, selector: string): Promise<[string | null, string][]> {
  return page.evaluate(
    `Array.from(document.querySelectorAll(${JSON.stringify(selector)})).map((c) => [c.closest('tr').getAttribute('data-direction'), getComputedStyle(c).color])`,
  ) as Promise<[string | null, string][]>;
}

/** The rendered width of the first element matching `selector`, in CSS pixels. */
export function widthOf(page: Page, selector: string): Promise<number> {
  return page.evaluate(
    `document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect().width`,
  ) as Promise<number>;
}

/** Waits until every `[selector, epoch]` element shows a `data-epoch` other than the given one (a new stream). */
export async function waitForNewEpochs(page: Page, old: readonly (readonly [string, string | null])[]): Promise<void> {
  await page.waitForFunction(
    (items) =>
      items.every(([selector, epoch]) => {
        const el = Array.from(document.querySelectorAll(selector))[0];
        const shown = el?.getAttribute('data-epoch') ?? null;
        return shown !== null && shown !== '' && shown !== epoch;
      }),
    old,
    { timeout: 60_000 },
  );
}

/** Waits until every listed row's chart holds at least its stream's retained prices (filled from history). */
export async function waitForChartsFromHistory(
  page: Page,
  symbols: readonly string[],
  historySize: number,
): Promise<void> {
  await page.waitForFunction(
    ([list, size]) =>
      (list as string[]).every((symbol) => {
        const row = Array.from(document.querySelectorAll(`#rows tr[data-symbol="${symbol}"]`))[0];
        const offset = Number(row?.getAttribute('data-offset') ?? '0');
        return offset > 0 && Number(row?.getAttribute('data-points') ?? '0') >= Math.min(offset, size as number);
      }),
    [symbols, historySize] as const,
  );
}
