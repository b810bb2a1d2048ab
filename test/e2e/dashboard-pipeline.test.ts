// The stock pipeline of deploy/feeds end to end in Chromium: deploy/feeds/producer.mjs publishes random-walk prices
// into NATS JetStream (a nats-server of the test's own), `serve` runs deploy/feeds/switchboard.json (its NATS ingest,
// a Redis broker of the test's own), and /dashboard?symbols=... shows the prices and follows them live. After a
// kill -9 and a restart of `serve` the page reconnects and moves on, a new page fills at once from the stored
// latest, and once the producer stops every row shows the last price JetStream holds for its symbol.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, JSONCodec } from 'nats';
import { launchChromium } from '../helpers/chromium.ts';
import { startNats } from '../helpers/nats-server.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { freePort, screenshot } from './chat-page.ts';
import { attributes, openDashboard, rowPosition, waitForFilled, waitForOffsetAbove } from './dashboard-page.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'switchboard.js');
const PRODUCER = join(ROOT, 'deploy', 'feeds', 'producer.mjs');
/** The producer's first 8 built-in symbols (`--symbols 8`). */
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'META', 'TSLA', 'BRK'];
const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

/** A child process killed (SIGKILL) in `t.after` if still running; `exited` resolves with its exit code. */
function child(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const proc: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  for (const stream of [proc.stdout!, proc.stderr!])
    stream.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-8000);
    });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  return { proc, exited, log: () => log };
}

/** Starts `serve` on the deploy config and waits until its NATS connector runs. */
async function serve(t: TestContext, config: string, port: number, brokerUrl: string) {
  const s = child(t, [BIN, 'serve', '--config', config], {
    SWITCHBOARD_AUTH__HS256_SECRET: SECRET,
    SWITCHBOARD_BROKER__URL: brokerUrl,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (s.proc.exitCode !== null) throw new Error(`serve exited with ${s.proc.exitCode}: ${s.log()}`);
    const health = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.text(),
      () => '',
    );
    if (/"prices":\{[^}]*"state":"running"/.test(health)) return s;
    if (Date.now() > deadline) throw new Error(`serve did not run its connector within 60 s: ${health} ${s.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How the dashboard shows a price (two decimals, grouped thousands). */
function shown(price: number): string {
  return price.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

test('pipeline: producer -> NATS JetStream -> serve (deploy/feeds config) -> /dashboard in Chromium, across a kill -9 of serve', {
  timeout: 240_000,
}, async (t) => {
  const nats = await startNats(t);
  const redis = await startRedis(t);
  const dir = mkdtempSync(join(tmpdir(), 'sb-feeds-pipeline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // deploy/feeds/switchboard.json as the compose nodes run it, pointed at this test's servers and port.
  const config = JSON.parse(readFileSync(join(ROOT, 'deploy', 'feeds', 'switchboard.json'), 'utf8'));
  const port = await freePort();
  config.host = '127.0.0.1';
  config.port = port;
  // The file lists nginx's address (port 8080) as the page's origin; here the page comes from serve itself.
  assert.deepEqual(config.origins, ['http://localhost:8080', 'http://127.0.0.1:8080']);
  config.origins = [`http://127.0.0.1:${port}`];
  config.log.level = 'warn';
  config.ingest[0].source.url = nats.url;
  const file = join(dir, 'switchboard.json');
  writeFileSync(file, JSON.stringify(config));
  const base = `http://127.0.0.1:${port}`;

  const producer = child(t, [PRODUCER, '--url', nats.url, '--rate', '40', '--symbols', String(SYMBOLS.length)]);
  let first = await serve(t, file, port, redis.url);
  const browser = await launchChromium();
  t.after(() => browser.close());

  const { page, problems } = await openDashboard(browser, base, { query: `?symbols=${SYMBOLS.join(',')}` });
  await page.waitForSelector('#status[data-state="connected"]');
  await waitForFilled(page, '#rows tr', SYMBOLS.length);
  assert.deepEqual(await attributes(page, '#rows tr', 'data-symbol'), SYMBOLS);
  const start = await Promise.all(SYMBOLS.map((s) => rowPosition(page, s)));
  for (const [i, s] of SYMBOLS.entries()) await waitForOffsetAbove(page, s, start[i]!.offset + 1);
  for (const cell of await page.locator('#rows tr td.price').allTextContents()) assert.match(cell, /^\d[\d,]*\.\d\d$/);
  await screenshot(page, 'dashboard-pipeline');

  // kill -9 of serve while the producer goes on: the page says so, then comes back to the restarted node.
  const before = await Promise.all(SYMBOLS.map((s) => rowPosition(page, s)));
  first.proc.kill('SIGKILL');
  await first.exited;
  await page.waitForSelector('#status[data-state="reconnecting"]');
  first = await serve(t, file, port, redis.url);
  await page.waitForSelector('#status[data-state="connected"]', { timeout: 60_000 });
  for (const [i, s] of SYMBOLS.entries()) {
    await waitForOffsetAbove(page, s, before[i]!.offset + 1);
    // Redis kept the stream: the same epoch, the offsets go on (what the outage held back was recovered).
    assert.equal((await rowPosition(page, s)).epoch, before[i]!.epoch, s);
  }
  await screenshot(page, 'dashboard-pipeline-after-restart');

  // A page opened now fills every row at once from what the channels hold, before any new tick.
  const fresh = await openDashboard(browser, base, { query: `?symbols=${SYMBOLS.join(',')}` });
  await waitForFilled(fresh.page, '#rows tr', SYMBOLS.length);
  assert.deepEqual(
    await attributes(fresh.page, '#rows tr', 'data-filled'),
    SYMBOLS.map(() => 'snapshot'),
  );

  // The producer stops: every row settles on the last price JetStream holds for its subject.
  producer.proc.kill('SIGTERM');
  assert.equal(await producer.exited, 0, producer.log());
  const nc = await connect({ servers: nats.url });
  t.after(async () => {
    await nc.close();
  });
  const jsm = await nc.jetstreamManager();
  const codec = JSONCodec<{ price: number }>();
  for (const symbol of SYMBOLS) {
    const last = await jsm.streams.getMessage('PRICES', { last_by_subj: `prices.${symbol}` });
    const price = shown(codec.decode(last.data).price);
    for (const p of [page, fresh.page])
      await p.waitForSelector(`#rows tr[data-symbol="${symbol}"] td.price:text-is("${price}")`, { timeout: 30_000 });
  }
  // The producer's change against its first price reaches the change column.
  const pcts = await fresh.page.locator('#rows tr td.pct').allTextContents();
  assert.ok(
    pcts.some((c) => c !== '■ 0.00 %'),
    pcts.join(' | '),
  );
  await screenshot(fresh.page, 'dashboard-pipeline-settled');
  assert.deepEqual(problems, []);
  assert.deepEqual(fresh.problems, []);
  await page.context().close();
  await fresh.page.context().close();
  first.proc.kill('SIGTERM');
  assert.equal(await first.exited, 0, 'serve drains and exits 0');
});
