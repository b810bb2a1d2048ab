// deploy/feeds/: the stock-price pipeline. No Docker engine runs here, so the compose file is parsed (PyYAML) and
// cross-checked against the files it mounts and the config it runs; producer.mjs runs for real against a nats-server
// of the test's own and its messages are read back from the JetStream stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, JSONCodec } from 'nats';
import { readDeployFile, ROOT, templateVariables } from '../cluster/harness/templates.ts';
import { collectOutput } from '../helpers/cli-fixtures.ts';
import { accepts, freePort } from '../helpers/ports.ts';
import { configFromEnv, durationMs, readYaml } from './helpers.ts';

// Parsed YAML and JSON are walked by path; their shape is what the assertions check.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and JSON walked by key; each value is asserted where it is read.
type Obj = Record<string, any>;

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const PRODUCER = join(ROOT, 'deploy', 'feeds', 'producer.mjs');

function compose(): Obj {
  const [doc] = readYaml('feeds/docker-compose.yml') as Obj[];
  return doc!;
}

function feedsConfig(): Obj {
  return JSON.parse(readFileSync(join(ROOT, 'deploy', 'feeds', 'switchboard.json'), 'utf8')) as Obj;
}

/** The serve config a node of the compose file runs: its environment, and the mounted config file. */
async function nodeConfig(service: Obj): Promise<Awaited<ReturnType<typeof configFromEnv>>> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-feeds-config-'));
  try {
    // The whole mounted file goes through the serve loader, `ingest` included (its sources by their kinds' schemas).
    const file = join(dir, 'switchboard.json');
    writeFileSync(file, JSON.stringify(feedsConfig()));
    const env = Object.fromEntries(
      Object.entries(service['environment'] as Obj).map(([k, v]) => [
        k,
        k === 'SWITCHBOARD_CONFIG' ? file : String(v).startsWith('${') ? SECRET : String(v),
      ]),
    );
    return await configFromEnv(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('feeds compose: NATS with JetStream, Redis, two nodes on the mounted config, nginx over both, the producer', async () => {
  const c = compose();
  const services = c['services'] as Obj;
  assert.deepEqual(Object.keys(services).sort(), ['nats', 'nginx', 'node1', 'node2', 'producer', 'redis']);
  assert.ok((services['nats']['command'] as string[]).includes('-js'), 'JetStream enabled');
  assert.ok((services['nats']['command'] as string[]).includes('-sd'), 'JetStream stores on the volume');
  assert.ok(Object.keys(c['volumes'] as Obj).includes('nats-data'));
  assert.equal(services['node1']['build']['dockerfile'], 'deploy/Dockerfile');
  assert.equal(services['node1']['build']['context'], '../..');

  for (const name of ['node1', 'node2']) {
    const node = services[name];
    assert.equal(node['image'], 'switchboard:local');
    const mount = (node['volumes'] as string[]).find((v) => v.endsWith(':ro') && v.includes('switchboard.json'))!;
    const [hostPath, containerPath] = mount.split(':');
    assert.ok(existsSync(join(ROOT, 'deploy', 'feeds', hostPath!)), `${name} mounts an existing file`);
    assert.equal(node['environment']['SWITCHBOARD_CONFIG'], containerPath);
    assert.equal(node['depends_on']['nats']['condition'], 'service_healthy');
    assert.equal(node['depends_on']['redis']['condition'], 'service_healthy');
    const config = await nodeConfig(node);
    assert.equal(config.broker.url, 'redis://redis:6379');
    assert.equal(config.host, '0.0.0.0');
    assert.ok(durationMs(node['stop_grace_period']) >= config.limits.drainTimeoutMs + 5000, 'no SIGKILL mid-drain');
    assert.ok(config.namespaces['feed'] !== undefined, 'the feed namespace exists');
  }

  const nginx = services['nginx'];
  assert.ok(
    (nginx['volumes'] as string[]).some((v) => v.startsWith('../nginx.conf:')),
    'the committed nginx.conf',
  );
  assert.deepEqual(
    Object.keys(nginx['environment'] as Obj).sort(),
    templateVariables(readDeployFile('nginx.conf')).sort(),
  );
  const command = (nginx['command'] as string[]).join(' ');
  for (const name of Object.keys(nginx['environment'] as Obj)) assert.match(command, new RegExp(`\\b${name}\\b`));
  const port = feedsConfig()['port'] as number;
  for (const node of ['node1', 'node2']) {
    assert.match(nginx['environment']['SB_UPSTREAMS'], new RegExp(`server ${node}:${port}\\b`));
  }

  const producer = services['producer'];
  const args = producer['command'] as string[];
  assert.equal(args[0], 'node');
  const mount = (producer['volumes'] as string[])[0]!.split(':');
  assert.equal(mount[0], './producer.mjs');
  assert.equal(mount[1], args[1], 'runs the mounted script');
  assert.equal(args[args.indexOf('--url') + 1], 'nats://nats:4222');
  assert.equal(producer['healthcheck']['disable'], true);
});

test('feeds config: the NATS ingest reads the stream the producer writes and renders into the feed namespace', () => {
  const config = feedsConfig();
  const ingest = config['ingest'] as Obj[];
  assert.equal(ingest.length, 1);
  const [entry] = ingest as [Obj];
  assert.deepEqual(Object.keys(entry['source']).sort(), ['durable', 'kind', 'stream', 'subjects', 'url']);
  assert.equal(entry['source']['kind'], 'nats');
  assert.equal(entry['source']['url'], 'nats://nats:4222');
  assert.equal(entry['source']['stream'], 'PRICES');
  assert.deepEqual(entry['source']['subjects'], ['prices.>']);
  // prices.<SYMBOL>: token 1 is the symbol.
  assert.equal(entry['channel'], 'feed:prices.{subject.1}');
  assert.equal(entry['key'], '{payload.symbol}');
  assert.equal(entry['codec'], 'json');
  assert.ok(Object.keys(config['namespaces'] as Obj).includes(String(entry['channel']).split(':')[0]!));
  // The producer's defaults match: stream PRICES, subjects prices.<SYMBOL>.
  const source = readFileSync(PRODUCER, 'utf8');
  assert.match(source, /stream: \{ type: 'string', default: 'PRICES' \}/);
  assert.match(source, /subjects: \['prices\.>'\]/);
  assert.match(source, /`prices\.\$\{symbol\}`/);
});

function runProducer(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PRODUCER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collectOutput(child);
    child.once('exit', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }));
  });
}

test('producer.mjs publishes N random-walk prices into the JetStream stream, creating it', {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-feeds-nats-'));
  const port = await freePort();
  const server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  t.after(async () => {
    if (server.exitCode === null) {
      const gone = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    assert.ok(Date.now() < deadline, 'nats-server listens');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = `nats://127.0.0.1:${port}`;
  const r = await runProducer(['--url', url, '--rate', '5000', '--count', '600', '--symbols', '20']);
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Obj;
  assert.deepEqual(last, { published: 600, failed: 0, done: true });

  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('PRICES');
  assert.equal(info.state.messages, 600);
  assert.deepEqual(info.config.subjects, ['prices.>']);

  const consumer = await jsm.consumers.add('PRICES', {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
  });
  const js = nc.jetstream();
  const messages = await (await js.consumers.get('PRICES', consumer.name)).fetch({ max_messages: 600, expires: 5000 });
  const codec = JSONCodec<Obj>();
  const lastSeq = new Map<string, { seq: number; price: number }>();
  let n = 0;
  for await (const m of messages) {
    const p = codec.decode(m.data);
    assert.equal(m.subject, `prices.${p['symbol']}`);
    assert.ok(Number.isFinite(p['price']) && p['price'] > 0);
    assert.ok(Number.isInteger(p['volume']) && p['volume'] >= 1);
    assert.ok(typeof p['ts'] === 'number');
    assert.equal(p['time'], p['ts']);
    // Against the first price of the run (50 + 25 i for the i-th symbol), as the dashboard shows it.
    const open = p['price'] - p['change'];
    assert.ok(Math.abs(open - Math.round(open / 25) * 25) < 0.011, `change ${p['change']} from a start price`);
    assert.ok(Math.abs(p['changePct'] - (p['change'] / Math.round(open)) * 100) < 0.011);
    const before = lastSeq.get(p['symbol']);
    assert.equal(p['seq'], (before?.seq ?? 0) + 1, 'seq increases by one per symbol');
    // A random walk of about 0.2 % per tick: no jump beyond 5 %.
    if (before !== undefined) assert.ok(Math.abs(p['price'] / before.price - 1) < 0.05);
    lastSeq.set(p['symbol'], { seq: p['seq'], price: p['price'] });
    if (++n === 600) break;
  }
  assert.equal(n, 600);
  assert.equal(lastSeq.size, 20);
  for (const { seq } of lastSeq.values()) assert.equal(seq, 30);
});

test('producer.mjs refuses bad arguments with exit status 2 and a message', () => {
  for (const [args, pattern] of [
    [['--rate', '0'], /--rate/],
    [['--rate', 'fast'], /--rate/],
    [['--symbols', '0'], /--symbols/],
    [['--symbols', 'A B'], /--symbols/],
    [['--count', '-3'], /--count/],
    [['--stream', 'a.b'], /--stream/],
    [['--bogus'], /bogus/],
  ] as const) {
    const r = spawnSync(process.execPath, [PRODUCER, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
});
