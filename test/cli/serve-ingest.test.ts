// `switchboard serve` with `ingest` connectors: a real serve process killed with SIGKILL mid-stream and started
// again stores every message exactly once, in source order per key (RedisBroker on its own redis-server; NATS, Redis
// and mosquitto on servers of the test's own, RabbitMQ on the shared one with queues of the test's own); /health and
// /metrics report the connector; SIGTERM drains. Configuration errors name the field.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { connectAsync } from 'mqtt';
import { connect, StringCodec } from 'nats';
import { RedisBroker } from '../../src/broker/index.ts';
import { ConfigError, loadConfig } from '../../src/cli/config.ts';
import { startNats } from '../helpers/nats-server.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { allHistory, assertExactlyOnce, waitUntil } from '../ingest/fixtures.ts';
import { startMosquitto } from '../ingest/helpers/mosquitto.ts';
import { RABBITMQ_URL, rabbitAdmin } from '../ingest/helpers/rabbitmq.ts';
import { collectOutput } from '../helpers/cli-fixtures.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN'];
/** Messages per run: the 10,000 for every source. */
const TOTAL = { nats: 10_000, 'redis-stream': 10_000, amqp: 10_000, mqtt: 10_000 };

function serve(file: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--dev', '--port', '0', '--config', file],
    {
      env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = collectOutput(child, 8000);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no address within 60 s: ${output.stdout()} ${output.stderr()}`)),
      60_000,
    );
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.stdout());
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output.stderr()}`));
    });
  });
  port.catch(() => {});
  return { child, port, exited };
}

function expectedSeqs(symbol: string, total: number): number[] {
  const out: number[] = [];
  for (let seq = 0; seq < total; seq++) if (SYMBOLS[seq % SYMBOLS.length] === symbol) out.push(seq);
  return out;
}

function tick(seq: number): { symbol: string; seq: number } {
  return { symbol: SYMBOLS[seq % SYMBOLS.length]!, seq };
}

/**
 * Each kind's source, filled with its messages before `serve` starts, except MQTT: its session only exists once
 * subscribed, so `afterStart` publishes while the first process consumes.
 */
const KINDS: Record<
  keyof typeof TOTAL,
  (t: TestContext) => Promise<{ source: object; channel: string; afterStart?: () => Promise<void> }>
> = {
  async nats(t: TestContext) {
    const nats = await startNats(t);
    const nc = await connect({ servers: nats.url });
    t.after(async () => {
      await nc.close();
    });
    await (await nc.jetstreamManager()).streams.add({ name: 'PRICES', subjects: ['prices.>'] });
    const js = nc.jetstream();
    const sc = StringCodec();
    for (let start = 0; start < TOTAL.nats; start += 250) {
      const batch: Promise<unknown>[] = [];
      for (let seq = start; seq < start + 250; seq++) {
        const symbol = SYMBOLS[seq % SYMBOLS.length]!;
        batch.push(js.publish(`prices.${symbol}`, sc.encode(JSON.stringify({ symbol, seq }))));
      }
      await Promise.all(batch);
    }
    return {
      source: { kind: 'nats', url: nats.url, stream: 'PRICES', subjects: ['prices.>'] },
      channel: 'feed:prices.{subject.1}',
    };
  },
  async 'redis-stream'(t: TestContext) {
    const redis = await startRedis(t);
    const producer = new Redis(redis.url);
    t.after(() => producer.disconnect());
    const pipe = producer.pipeline();
    for (let seq = 0; seq < TOTAL['redis-stream']; seq++) {
      const symbol = SYMBOLS[seq % SYMBOLS.length]!;
      pipe.xadd('prices', '*', 'data', JSON.stringify({ symbol, seq }));
    }
    await pipe.exec();
    return {
      source: { kind: 'redis-stream', url: redis.url, stream: 'prices', consumer: 'node-1' },
      channel: 'feed:prices.{payload.symbol}',
    };
  },
  async amqp(t: TestContext) {
    const admin = await rabbitAdmin(t);
    const queue = admin.name('serve');
    await admin.channel.assertQueue(queue, { durable: true });
    await admin.publish(
      { queue },
      Array.from({ length: TOTAL.amqp }, (_, seq) => ({ body: JSON.stringify(tick(seq)), messageId: `m-${seq}` })),
    );
    return {
      source: { kind: 'amqp', url: RABBITMQ_URL, queue, prefetch: 100 },
      channel: 'feed:prices.{payload.symbol}',
    };
  },
  async mqtt(t: TestContext) {
    const mosquitto = await startMosquitto(t);
    return {
      source: { kind: 'mqtt', url: mosquitto.url, topics: ['prices/#'], clientId: 'sb-serve-ingest' },
      channel: 'feed:prices.{subject.1}',
      afterStart: async () => {
        const pub = await connectAsync(mosquitto.url, { protocolVersion: 5 });
        t.after(() => pub.endAsync(true));
        for (let start = 0; start < TOTAL.mqtt; start += 200) {
          const batch: Promise<unknown>[] = [];
          for (let seq = start; seq < Math.min(TOTAL.mqtt, start + 200); seq++)
            batch.push(pub.publishAsync(`prices/${tick(seq).symbol}`, JSON.stringify(tick(seq)), { qos: 1 }));
          await Promise.all(batch);
        }
      },
    };
  },
};

for (const [kind, setUp] of Object.entries(KINDS) as [keyof typeof TOTAL, (typeof KINDS)['nats']][]) {
  const total = TOTAL[kind];
  test(`serve with the ${kind} connector: kill -9 mid-stream and restart, every message stored once in order per key; /health, /metrics, SIGTERM`, {
    timeout: 300_000,
  }, async (t) => {
    const brokerRedis = await startRedis(t, { persistent: true });
    const { source, channel, afterStart } = await setUp(t);
    const dir = mkdtempSync(join(tmpdir(), 'sb-serve-ingest-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        broker: { url: brokerRedis.url },
        log: { level: 'warn', pretty: false },
        namespaces: { feed: { allowClientPublish: false, historySize: 20_000, recoverOnJoin: 0 } },
        ingest: [{ name: 'prices', source, channel, key: '{payload.symbol}' }],
      }),
    );
    const broker = new RedisBroker({ url: brokerRedis.url });
    broker.on('error', () => {});
    t.after(() => broker.close());
    const stored = async () => {
      let n = 0;
      for (const s of SYMBOLS) n += (await allHistory(broker, `feed:prices.${s}`)).length;
      return n;
    };

    const first = serve(file);
    t.after(() => {
      if (first.child.exitCode === null) first.child.kill('SIGKILL');
    });
    const firstPort = await first.port;
    if (afterStart !== undefined) {
      await waitUntil(
        async () => /"state":"running"/.test(await (await fetch(`http://127.0.0.1:${firstPort}/health`)).text()),
        'the connector running',
        60_000,
      );
      await afterStart();
    }
    const killAt = total / 10;
    await waitUntil(async () => (await stored()) >= killAt, `${killAt} stored by the first process`, 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await stored();
    assert.ok(atKill < total, `killed mid-stream (${atKill} stored)`);

    const second = serve(file);
    t.after(() => {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    });
    const port = await second.port;
    await waitUntil(async () => (await stored()) >= total, `${total} stored`, 240_000);
    for (const symbol of SYMBOLS)
      assertExactlyOnce(await allHistory(broker, `feed:prices.${symbol}`), expectedSeqs(symbol, total), (m) =>
        assert.fail(`${symbol}: ${m}`),
      );

    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
      ingest: Record<string, { kind: string; state: string; received: number; published: number; duplicates: number }>;
    };
    const entry = health.ingest['prices']!;
    assert.equal(entry.kind, kind);
    assert.equal(entry.state, 'running');
    assert.ok(entry.published + entry.duplicates >= total - atKill, JSON.stringify(entry));
    let metrics = '';
    if (kind === 'mqtt') {
      // MQTT offers no way to read how many messages a session holds: the connector reports no lag, and no gauge.
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.doesNotMatch(metrics, /switchboard_ingest_lag\{connector="prices"\}/);
    }
    // The lag gauge follows the source's report (Redis Streams: read at most once a second).
    else
      await waitUntil(
        async () => {
          metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return /switchboard_ingest_lag\{connector="prices"\} 0\n/.test(metrics);
        },
        'lag 0 in /metrics',
        30_000,
        () => /switchboard_ingest_lag.*/.exec(metrics)?.[0],
      );
    assert.match(metrics, /switchboard_ingest_messages_total\{connector="prices",outcome="published"\} \d+/);

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, 'drains and exits 0');
  });
}

test('serve config: ingest entries are validated through their kind, errors name the field', async () => {
  const env = { SWITCHBOARD_AUTH__HS256_SECRET: 'x'.repeat(32), SWITCHBOARD_ALLOW_PLAINTEXT: 'true' };
  const cases: [unknown, RegExp][] = [
    [
      [{ name: 'a', source: { kind: 'nats', url: 'http://x', stream: 'S', subjects: ['a.>'] }, channel: 'feed:x' }],
      /ingest\[0\]\.source\.url/,
    ],
    [
      [{ name: 'a', source: { kind: 'kafka' }, channel: 'feed:x' }],
      /ingest\[0\]\.source\.kind: expected one of nats, redis-stream, amqp, mqtt, demo/,
    ],
    [
      [{ name: 'a', source: { kind: 'redis-stream', stream: 's' }, channel: 'feed:{subject' }],
      /ingest\[0\]\.channel: unclosed/,
    ],
    [
      [{ name: 'a', source: { kind: 'redis-stream', stream: 's' }, channel: 'feed:{payload.__proto__}' }],
      /ingest\[0\]\.channel/,
    ],
    [
      [{ name: 'a', source: { kind: 'redis-stream', stream: 's' }, channel: 'feed:x', codec: 'xml' }],
      /ingest\[0\]\.codec/,
    ],
    [[{ name: 'a b', source: { kind: 'redis-stream', stream: 's' }, channel: 'feed:x' }], /ingest\[0\]\.name/],
    [
      [
        {
          name: 'a',
          source: { kind: 'nats', stream: 'S', subjects: ['p.>'], deadLetterSubject: 'p.dead' },
          channel: 'feed:x',
        },
      ],
      /ingest\[0\]\.source\.deadLetterSubject: expected a subject outside subjects/,
    ],
    [
      [{ name: 'a', source: { kind: 'redis-stream', stream: 's', extra: 1 }, channel: 'feed:x' }],
      /ingest\[0\]\.source/,
    ],
    [
      [
        { name: 'a', source: { kind: 'redis-stream', stream: 's' }, channel: 'feed:x' },
        { name: 'a', source: { kind: 'redis-stream', stream: 't' }, channel: 'feed:y' },
      ],
      /ingest\[1\]\.name: duplicate name a/,
    ],
  ];
  for (const [ingest, message] of cases) {
    const err = await loadConfig({ env: { ...env, SWITCHBOARD_INGEST: JSON.stringify(ingest) } }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, `expected a ConfigError for ${JSON.stringify(ingest)}`);
    assert.match(err.message, message);
  }
  const { config } = await loadConfig({
    env: {
      ...env,
      SWITCHBOARD_INGEST: JSON.stringify([
        { name: 'q', source: { kind: 'redis-stream', stream: 'prices' }, channel: 'feed:prices.{payload.symbol}' },
      ]),
    },
  });
  assert.equal(config.ingest[0]!.codec, 'json');
  assert.equal(config.ingest[0]!.maxPayloadBytes, 65_536);
});
