// Producer of bench/feeds-ingest.mjs: prices for N symbols published into NATS (core publish; the JetStream stream of
// the run captures the subjects for Switchboard's ingest, the `ws` peer subscribes to them directly), paced by stdin:
// `rate <perSecond> <seconds> <step>` publishes at that rate, each payload stamped with the step and the wall-clock
// send time in fractional milliseconds (`performance.timeOrigin + performance.now()`, the clock the load clients
// read), then answers `done <published>`. `quit` drains and exits.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect } from 'nats';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'nats://127.0.0.1:4222' },
    prefix: { type: 'string' },
    symbols: { type: 'string', default: '20' },
    size: { type: 'string', default: '60' },
  },
});
const SYMBOLS = Array.from({ length: Number(args.symbols) }, (_, i) => `S${String(i).padStart(2, '0')}`);
const PAD = 'x'.repeat(Number(args.size));
/** Pacing tick: small enough for a smooth rate, large enough for Node's timers. */
const TICK_MS = 5;
const nc = await connect({ servers: args.url, name: 'feeds-ingest-producer' });
const prices = SYMBOLS.map((_, i) => 50 + 25 * i);
let seq = 0;
process.stdout.write('ready\n');

async function rate(perSecond, seconds, step) {
  const start = performance.now();
  const ticks = Math.round((seconds * 1000) / TICK_MS);
  let sent = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    const due = Math.round((perSecond * tick * TICK_MS) / 1000);
    for (; sent < due; sent++, seq++) {
      const i = seq % SYMBOLS.length;
      prices[i] = Math.round(prices[i] * (1 + (Math.random() - 0.5) * 0.004) * 100) / 100;
      const t = performance.timeOrigin + performance.now();
      nc.publish(
        `${args.prefix}.prices.${SYMBOLS[i]}`,
        `{"symbol":"${SYMBOLS[i]}","price":${prices[i]},"seq":${seq},"k":${step},"t":${t.toFixed(3)},"pad":"${PAD}"}`,
      );
    }
    const wait = start + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await nc.flush();
  return sent;
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  if (cmd === 'quit') break;
  if (cmd === 'rate') process.stdout.write(`done ${await rate(Number(rest[0]), Number(rest[1]), Number(rest[2]))}\n`);
}
await nc.drain();
process.exit(0);
