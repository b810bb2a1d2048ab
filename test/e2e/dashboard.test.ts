// The dashboard page against `serve --dev` (its demo feeds): the table fills at once from the channels' stored
// latest, prices change live, a paused row stops and resumes, long names and many rows keep the layout, and after a
// kill -9 and a restart on the same port the page shows reconnecting, then refills from the new server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { DEMO_CITIES, DEMO_SYMBOLS } from '../../src/ingest/index.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { DevServer, freePort, screenshot } from './chat-page.ts';
import {
  attributes,
  colours,
  openDashboard,
  overflowsSideways,
  rowPosition,
  waitForFeed,
  waitForChartsFromHistory,
  waitForFilled,
  waitForNewEpochs,
  waitForOffsetAbove,
  widthOf,
} from './dashboard-page.ts';

const SYMBOLS = DEMO_SYMBOLS.map(([s]) => s);
const LAST_CITY = `feed:weather.${DEMO_CITIES.at(-1)![0]}`;

let browser: Browser;
let server: DevServer;

before(async () => {
  server = new DevServer(await freePort());
  await server.start();
  await waitForFeed(server.port, LAST_CITY);
  await waitForFeed(server.port, `feed:prices.${SYMBOLS.at(-1)}`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.kill();
});

test('dashboard: fills at once from the stored latest, prices change live, a paused row stops and resumes', {
  timeout: 120_000,
}, async () => {
  const { page, problems } = await openDashboard(browser, server.base);
  await page.waitForSelector('#status[data-state="connected"]');
  assert.equal(await page.locator('#status').textContent(), 'Connected');
  assert.equal(await page.locator('#status').getAttribute('aria-live'), 'polite');
  await waitForFilled(page, '#rows tr', SYMBOLS.length);
  await waitForFilled(page, '#weather li', DEMO_CITIES.length);
  assert.deepEqual(await attributes(page, '#rows tr', 'data-symbol'), SYMBOLS);
  // Every row's first value is the channel's stored latest, handed over on subscribe, not the next live tick.
  assert.deepEqual(
    await attributes(page, '#rows tr', 'data-filled'),
    SYMBOLS.map(() => 'snapshot'),
  );
  assert.equal(await page.locator('#rows td.chart canvas').count(), SYMBOLS.length, 'a chart per symbol');
  assert.equal(await page.locator('#rows th[scope="row"]').count(), SYMBOLS.length, 'row headers');
  assert.notEqual(await page.locator('#last-update').textContent(), 'never');
  for (const cell of await page.locator('#rows tr td.price').allTextContents()) assert.match(cell, /^\d[\d,]*\.\d\d$/);
  for (const cell of await page.locator('#rows tr td.pct').allTextContents())
    assert.match(cell, /^[▲▼■] [+−]?\d[\d,]*\.\d\d %$/);

  // Live: every row moves on; the change is coloured by its direction.
  const start = await Promise.all(SYMBOLS.map((s) => rowPosition(page, s)));
  for (const [i, s] of SYMBOLS.entries()) await waitForOffsetAbove(page, s, start[i]!.offset + 1);
  const directions = await attributes(page, '#rows tr', 'data-direction');
  assert.ok(directions.every((d) => d === 'up' || d === 'down' || d === 'flat'));
  const shown = await colours(page, '#rows tr[data-direction="up"] td.pct, #rows tr[data-direction="down"] td.pct');
  assert.ok(shown.length > 0, 'some rows moved');
  for (const [dir, colour] of shown) assert.equal(colour, dir === 'up' ? 'rgb(21, 128, 61)' : 'rgb(185, 28, 28)');
  await screenshot(page, 'dashboard');

  // Pause ACME: its row stops while BOLT goes on.
  const toggle = page.locator('#rows tr[data-symbol="ACME"] .toggle button');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  assert.equal(await toggle.textContent(), 'Paused');
  const paused = await rowPosition(page, 'ACME');
  const bolt = await rowPosition(page, 'BOLT');
  await waitForOffsetAbove(page, 'BOLT', bolt.offset + 3);
  assert.deepEqual(await rowPosition(page, 'ACME'), paused, 'a paused row shows no update');
  await screenshot(page, 'dashboard-paused-row');

  // Resume: the row catches up (what it missed, then live).
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  await waitForOffsetAbove(page, 'ACME', paused.offset + 3);

  // A narrow screen: no sideways scrolling of the page, the table keeps its own box.
  await page.setViewportSize({ width: 390, height: 844 });
  await waitForOffsetAbove(page, 'ACME', (await rowPosition(page, 'ACME')).offset);
  assert.equal(await overflowsSideways(page), false, 'the page does not scroll sideways at 390 px');
  await screenshot(page, 'dashboard-narrow');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('dashboard: long symbol names and 40 rows keep the layout; a batch publish shows in its row', {
  timeout: 120_000,
}, async () => {
  const long = `VERY-LONG-SYMBOL-NAME-${'X'.repeat(40)}`;
  const symbols = [long, ...SYMBOLS, ...Array.from({ length: 19 }, (_, i) => `EXTRA${i}`)];
  const { page, problems } = await openDashboard(browser, server.base, { query: `?symbols=${symbols.join(',')}` });
  await page.waitForSelector('#status[data-state="connected"]');
  assert.equal(await page.locator('#rows tr').count(), 40);
  await waitForFilled(page, '#rows tr', SYMBOLS.length);
  // The charts start with the channels' retained prices (history 100 in the dev config), not from the first tick on.
  await waitForChartsFromHistory(page, SYMBOLS, 100);
  const answer = await fetch(`${server.base}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer switchboard-dev-api-key' },
    body: JSON.stringify([
      {
        channel: `feed:prices.${long}`,
        data: { symbol: long, price: 1234.5, change: -2.25, changePct: -0.18, volume: 9_876_543, time: Date.now() },
        id: 'long-1',
        key: long,
      },
    ]),
  });
  assert.equal(answer.status, 200);
  const row = page.locator(`#rows tr[data-symbol="${long}"]`);
  await page.waitForSelector(`#rows tr[data-symbol="${long}"][data-offset]`);
  assert.equal(await row.locator('td.price').textContent(), '1,234.50');
  assert.equal(await row.locator('td.pct').textContent(), '▼ −0.18 %');
  assert.equal(await row.locator('td.volume').textContent(), '9,876,543');
  assert.equal(await row.getAttribute('data-direction'), 'down');
  assert.equal(await row.locator('th').getAttribute('title'), long, 'the full name is in the title');
  const width = await widthOf(page, `#rows tr[data-symbol="${long}"] th .name`);
  assert.ok(width <= 12 * 16 + 0.5, `the long name is cut short (${width} px)`);
  assert.equal(await overflowsSideways(page), false);
  await screenshot(page, 'dashboard-long-names');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await overflowsSideways(page), false, 'no sideways page scroll at 390 px with a long name');
  await screenshot(page, 'dashboard-long-names-narrow');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('dashboard: after kill -9 and a restart on the same port it shows reconnecting, then refills', {
  timeout: 180_000,
}, async () => {
  const { page, problems } = await openDashboard(browser, server.base);
  await page.waitForSelector('#status[data-state="connected"]');
  await waitForFilled(page, '#rows tr', SYMBOLS.length);
  const before = await Promise.all(SYMBOLS.map((s) => rowPosition(page, s)));
  await waitForFilled(page, '#weather li', DEMO_CITIES.length);
  const weatherBefore = await attributes(page, '#weather li', 'data-epoch');

  await server.kill();
  await page.waitForSelector('#status[data-state="reconnecting"]');
  assert.equal(await page.locator('#status').textContent(), 'Reconnecting…');
  await screenshot(page, 'dashboard-reconnecting');

  await server.start();
  await page.waitForSelector('#status[data-state="connected"]', { timeout: 60_000 });
  // Every row and city shows the new server's stream (a new epoch), with its chart started again.
  await waitForNewEpochs(page, [
    ...SYMBOLS.map((symbol, i) => [`#rows tr[data-symbol="${symbol}"]`, before[i]!.epoch] as const),
    ...DEMO_CITIES.map(([city], i) => [`#weather li[data-city="${city}"]`, weatherBefore[i] ?? null] as const),
  ]);
  const points = await attributes(page, '#rows tr', 'data-points');
  for (const [i, s] of SYMBOLS.entries()) {
    const now = await rowPosition(page, s);
    assert.notEqual(now.epoch, before[i]!.epoch, s);
    assert.ok(Number(points[i]) <= now.offset + 1, `${s}: the chart holds only the new stream's prices`);
  }
  assert.equal(await page.locator('#error').textContent(), '');
  await screenshot(page, 'dashboard-after-restart');

  // The browser loses its network: the page says offline (not "reconnecting"), and comes back with it.
  await page.context().setOffline(true);
  await page.waitForSelector('#status[data-state="offline"]');
  assert.equal(await page.locator('#status').textContent(), 'Offline');
  await page.context().setOffline(false);
  await page.waitForSelector('#status[data-state="connected"]', { timeout: 60_000 });
  await waitForOffsetAbove(page, 'ACME', (await rowPosition(page, 'ACME')).offset + 1);
  assert.deepEqual(problems, []);
  await page.context().close();
});
