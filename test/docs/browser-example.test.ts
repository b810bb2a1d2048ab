// examples/browser in Chromium: the page loads the SDK from the browser bundle built by scripts/build-client.mjs,
// connects to a server started from examples/dev.json (its origin allowed with --origin, as the README says), and
// shows what it publishes and what a backend publishes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { freePort } from '../cluster/harness/process.ts';
import { scratchDir } from '../cluster/harness/proxy.ts';
import { startListening, startServe, type ServeProcess } from './server.ts';

const ROOT = process.cwd();
let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(() => browser?.close());

test('the browser example publishes and receives through the bundled SDK', { timeout: 90_000 }, async (t) => {
  const bundleDir = scratchDir(t, 'docs-bundle');
  const built = spawnSync(process.execPath, ['scripts/build-client.mjs', bundleDir], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);

  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const server: ServeProcess = await startServe(ROOT, [
    '--config',
    'examples/dev.json',
    '--port',
    '0',
    '--origin',
    pageOrigin,
    '--log-level',
    'warn',
  ]);
  t.after(() => server.stop());
  const site = await startListening(process.execPath, ['examples/browser/serve.mjs'], ROOT, {
    PORT: String(pagePort),
    BUNDLE_DIR: bundleDir,
  });
  t.after(() => site.stop());

  const page = await browser.newPage();
  t.after(() => page.close());
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${pageOrigin}/?server=${encodeURIComponent(server.wsUrl)}&channel=chat:browser-example`);
  await page.waitForSelector('body[data-ready="true"]').catch((err: Error) => {
    throw new Error(`${err.message}\npage errors: ${errors.join('; ')}\nserver: ${server.output().slice(-2000)}`);
  });
  assert.equal(await page.textContent('#state'), 'connected');

  await page.fill('#text', 'hello from Chromium');
  await page.press('#text', 'Enter');
  await page.waitForSelector('#log li:has-text("hello from Chromium")');

  const res = await fetch(`${server.httpUrl}/api/publish`, {
    method: 'POST',
    headers: { Authorization: 'Bearer switchboard-dev-api-key', 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'chat:browser-example', data: { text: 'from a backend' } }),
  });
  assert.equal(res.status, 200);
  await page.waitForSelector('#log li:has-text("from a backend")');
  assert.deepEqual(
    await page.$$eval('#log li', (items) => items.map((li) => li.textContent?.replace(/^[^:]*: /, ''))),
    ['hello from Chromium', 'from a backend'],
  );
  assert.deepEqual(errors, []);
});
