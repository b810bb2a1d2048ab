#!/usr/bin/env node
// Simulated stock prices into NATS JetStream: each symbol's price follows a random walk (with a traded volume), one
// message per tick on subject `prices.<SYMBOL>`, JSON `{ symbol, price, change, changePct, volume, seq, ts, time }`
// (`change` and `changePct` against the symbol's first price of the run; `time` = `ts`, the field /dashboard reads). Creates the stream
// (`PRICES`, subjects `prices.>`) when it is missing. Each message carries a `Nats-Msg-Id` (`<SYMBOL>-<seq>-<run>`),
// so JetStream drops a publish the producer repeats after a timeout.
//
// Usage: node deploy/feeds/producer.mjs [--url nats://127.0.0.1:4222] [--rate 50] [--symbols 20 | AAPL,MSFT,...]
//                                       [--stream PRICES] [--count N]
//   --rate     messages per second over all symbols (default 50)
//   --symbols  how many of the built-in symbols, or a comma-separated list (default 20)
//   --count    stop after this many messages (default: run until SIGINT/SIGTERM)
// Prints one JSON line per second ({ published, rate }) and a last one when it stops.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { connect, JSONCodec, RetentionPolicy, StorageType } from 'nats';

const SYMBOLS = [
  'AAPL',
  'MSFT',
  'GOOG',
  'AMZN',
  'NVDA',
  'META',
  'TSLA',
  'BRK',
  'JPM',
  'V',
  'UNH',
  'XOM',
  'JNJ',
  'WMT',
  'PG',
  'MA',
  'HD',
  'CVX',
  'KO',
  'PEP',
  'ORCL',
  'ADBE',
  'CRM',
  'NFLX',
  'INTC',
  'AMD',
  'CSCO',
  'PFE',
  'DIS',
  'NKE',
];
/** Per-tick volatility of the log price: about 0.2 % moves. */
const VOLATILITY = 0.002;
/** Publishes awaited together: enough to keep a remote server busy, bounded so memory stays small. */
const WINDOW = 256;

function fail(message) {
  process.stderr.write(`producer: ${message}\n`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string', default: 'nats://127.0.0.1:4222' },
        rate: { type: 'string', default: '50' },
        symbols: { type: 'string', default: '20' },
        stream: { type: 'string', default: 'PRICES' },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    process.stdout.write(
      'node deploy/feeds/producer.mjs [--url nats://127.0.0.1:4222] [--rate 50] [--symbols 20|A,B] [--stream PRICES] [--count N]\n',
    );
    process.exit(0);
  }
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1_000_000)
    fail(`--rate must be a number in (0, 1000000]: ${values.rate}`);
  let symbols;
  if (/^\d+$/.test(values.symbols)) {
    const n = Number(values.symbols);
    if (n < 1 || n > SYMBOLS.length) fail(`--symbols must be 1..${SYMBOLS.length} or a comma-separated list`);
    symbols = SYMBOLS.slice(0, n);
  } else {
    symbols = values.symbols.split(',').map((s) => s.trim().toUpperCase());
    if (symbols.some((s) => !/^[A-Z0-9_-]{1,32}$/.test(s)))
      fail(`--symbols: names are A-Z, 0-9, _ and -: ${values.symbols}`);
  }
  let count = Number.POSITIVE_INFINITY;
  if (values.count !== undefined) {
    count = Number(values.count);
    if (!Number.isSafeInteger(count) || count < 1) fail(`--count must be a positive integer: ${values.count}`);
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.stream)) fail(`--stream is not a valid stream name: ${values.stream}`);
  return { url: values.url, rate, symbols, stream: values.stream, count };
}

/** A standard normal draw (Box-Muller). */
function gaussian() {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

async function ensureStream(nc, stream) {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(stream);
  } catch {
    await jsm.streams.add({
      name: stream,
      subjects: ['prices.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: 24 * 3600 * 1e9,
      duplicate_window: 120 * 1e9,
    });
  }
}

const opts = options();
const nc = await connect({ servers: opts.url, name: 'switchboard-price-producer', maxReconnectAttempts: -1 });
await ensureStream(nc, opts.stream);
const js = nc.jetstream();
const codec = JSONCodec();
const run = randomBytes(4).toString('hex');
const state = new Map(opts.symbols.map((s, i) => [s, { open: 50 + 25 * i, price: 50 + 25 * i, seq: 0 }]));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => (stopping = true));

let published = 0;
let failed = 0;
let lastError;
let lastReport = Date.now();
let lastReported = 0;
const started = Date.now();
const pending = new Set();
while (!stopping && published < opts.count) {
  const symbol = opts.symbols[published % opts.symbols.length];
  const s = state.get(symbol);
  s.price = Math.max(0.01, s.price * Math.exp(VOLATILITY * gaussian()));
  s.seq++;
  const price = Math.round(s.price * 100) / 100;
  const now = Date.now();
  const payload = {
    symbol,
    price,
    change: Math.round((price - s.open) * 100) / 100,
    changePct: Math.round(((price - s.open) / s.open) * 10_000) / 100,
    volume: 1 + Math.floor(-Math.log(1 - Math.random()) * 500),
    seq: s.seq,
    ts: now,
    time: now,
  };
  const p = js
    .publish(`prices.${symbol}`, codec.encode(payload), { msgID: `${symbol}-${s.seq}-${run}` })
    .then(
      () => {},
      (err) => {
        failed++;
        lastError = err.message;
      },
    )
    .finally(() => pending.delete(p));
  pending.add(p);
  published++;
  if (pending.size >= WINDOW) await Promise.race(pending);
  // Pace to the rate: the n-th message is due at started + n / rate.
  const dueMs = started + (published * 1000) / opts.rate - Date.now();
  if (dueMs > 0) await new Promise((resolve) => setTimeout(resolve, dueMs));
  if (Date.now() - lastReport >= 1000) {
    const now = Date.now();
    process.stdout.write(
      `${JSON.stringify({ published, rate: Math.round(((published - lastReported) * 1000) / (now - lastReport)) })}\n`,
    );
    lastReport = now;
    lastReported = published;
  }
}
await Promise.all(pending);
process.stdout.write(`${JSON.stringify({ published, failed, done: true, ...(lastError ? { lastError } : {}) })}\n`);
await nc.drain();
process.exit(failed === 0 ? 0 : 1);
