// `switchboard serve --workers N --broker redis://...`: N processes on one port share channels through Redis; a dead
// worker is replaced without disturbing the others; SIGTERM drains them all (docs/security-cases.md SD-06, SD-01).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DEV_API_KEY } from '../../src/cli/config.ts';
import { openRaw, type TestClient } from '../helpers/realtime.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

interface Cluster {
  readonly child: ChildProcess;
  readonly port: number;
  /** JSON log lines so far (all processes write to the same stdout). */
  logs(): Record<string, unknown>[];
  stdout(): string;
  readonly exited: Promise<number | null>;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function run(
  args: string[],
  env: Record<string, string> = {},
): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function serveWorkers(t: TestContext, workers: number, redisUrl: string): Promise<Cluster> {
  // Several workers share documents through Redis: the dev config's file store is one process per directory.
  const p = run(['--dev', '--port', '0', '--workers', String(workers), '--broker', redisUrl, '--log-level', 'info'], {
    SWITCHBOARD_DOCUMENTS__STORE: 'redis',
  });
  t.after(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    // Workers left behind by a failed test: they notice the lost IPC channel and drain; make sure anyway.
    for (const line of p.out().split('\n')) {
      if (!line.startsWith('{')) continue;
      const pid = (JSON.parse(line) as { pid?: number }).pid;
      if (typeof pid === 'number' && pid !== p.child.pid)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }
  });
  const listening = (): string[] =>
    [...p.out().matchAll(/listening on http:\/\/127\.0\.0\.1:(\d+) /g)].map((m) => m[1]!);
  await waitFor(
    () => listening().length >= workers || p.child.exitCode !== null,
    `${workers} workers listening`,
    60_000,
  );
  assert.equal(p.child.exitCode, null, `serve exited: ${p.out()} ${p.err()}`);
  const ports = new Set(listening());
  assert.equal(ports.size, 1, 'every worker listens on the same port');
  return {
    child: p.child,
    port: Number([...ports][0]),
    stdout: p.out,
    exited: p.exited,
    logs: () =>
      p
        .out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function devToken(base: string, user: string): Promise<string> {
  const res = await fetch(`${base}/api/dev-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  return ((await res.json()) as { token: string }).token;
}

interface Member {
  readonly client: TestClient;
  readonly user: string;
  readonly pid: number;
}

/** Connects `user`, subscribes to the channel, and finds which worker process serves it (from the connection log). */
async function member(t: TestContext, cluster: Cluster, user: string, channel: string): Promise<Member> {
  const base = `http://127.0.0.1:${cluster.port}`;
  const client = await openRaw(t, `ws://127.0.0.1:${cluster.port}/ws?token=${await devToken(base, user)}`, {
    headers: { Origin: base },
  });
  const connected = await client.request({ type: 'connect' });
  const id = connected['client'];
  await client.request({ type: 'subscribe', channel });
  let pid = 0;
  await waitFor(() => {
    const line = cluster.logs().find((l) => l['event'] === 'connection_open' && l['client'] === id);
    pid = typeof line?.['pid'] === 'number' ? line['pid'] : 0;
    return pid !== 0;
  }, `the connection log of ${user}`);
  return { client, user, pid };
}

test('serve --workers 2 with the memory broker is refused with a clear message (exit 2)', async () => {
  const p = run(['--dev', '--port', '0', '--workers', '2']);
  assert.equal(await p.exited, 2);
  assert.match(p.err(), /workers: expected 1 with the embedded memory broker .*--broker redis:\/\//);
});

test('serve --workers 2 with the file document store (the dev default) is refused with a clear message (exit 2)', async () => {
  // The configuration is refused before any connection: the Redis URL need not answer.
  const p = run(['--dev', '--port', '0', '--workers', '2', '--broker', 'redis://127.0.0.1:1']);
  assert.equal(await p.exited, 2);
  assert.match(
    p.err(),
    /documents\.store: expected "redis" or "postgres" with several workers: the file store is one process per directory .*SWITCHBOARD_DOCUMENTS__STORE=redis/,
  );
});

test('serve --workers 2 with the memory document store and a document namespace is refused; without one it is not', async () => {
  const refused = run(['--dev', '--port', '0', '--workers', '2', '--broker', 'redis://127.0.0.1:1'], {
    SWITCHBOARD_DOCUMENTS__STORE: 'memory',
  });
  assert.equal(await refused.exited, 2);
  assert.match(
    refused.err(),
    /documents\.store: expected "redis" or "postgres" with several workers and a document namespace/,
  );
  const { loadConfig } = await import('../../src/cli/config.ts');
  const plain = await loadConfig({
    argv: ['--workers', '2', '--broker', 'redis://127.0.0.1:1'],
    env: { SWITCHBOARD_AUTH__HS256_SECRET: 'x'.repeat(32), SWITCHBOARD_ALLOW_PLAINTEXT: 'true' },
  });
  assert.equal(plain.config.documents.store, 'memory', 'no document namespace: the memory store is harmless');
});

test('serve --workers 2 --broker redis: clients on both workers see each other; a killed worker is replaced and the others are unaffected; SIGTERM drains all (docs/security-cases.md SD-06)', async (t) => {
  const redis = await startRedis(t);
  const cluster = await serveWorkers(t, 2, redis.url);
  const base = `http://127.0.0.1:${cluster.port}`;
  const health = (await (await fetch(`${base}/health`)).json()) as { broker: { name: string; ok: boolean } };
  assert.deepEqual([health.broker.name, health.broker.ok], ['redis', true]);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /switchboard_broker_up 1/);

  // Connections are spread round-robin: open until both workers serve someone.
  const members: Member[] = [];
  for (let i = 0; i < 12 && new Set(members.map((m) => m.pid)).size < 2; i++)
    members.push(await member(t, cluster, `user${i}`, 'chat:room'));
  const pids = [...new Set(members.map((m) => m.pid))];
  assert.equal(pids.length, 2, 'two worker processes serve the clients');
  const onFirst = members.filter((m) => m.pid === pids[0]);
  const onSecond = members.filter((m) => m.pid === pids[1]);

  // A publication from a client on one worker reaches every client on both workers, both ways.
  for (const [from, text] of [
    [onFirst[0]!, 'from worker 1'],
    [onSecond[0]!, 'from worker 2'],
  ] as const) {
    const reply = await from.client.request({
      type: 'publish',
      channel: 'chat:room',
      id: text.replace(/ /g, '-'),
      data: { text },
    });
    assert.equal(reply.type, 'reply', JSON.stringify(reply));
    for (const m of members)
      assert.deepEqual(
        (
          await m.client.next(
            (msg) => msg.type === 'publication' && (msg['data'] as { text: string }).text === text,
            10_000,
          )
        )['data'],
        { text },
      );
  }

  // kill -9 the first worker: its clients lose their connection; the primary starts a replacement.
  process.kill(pids[0]!, 'SIGKILL');
  for (const m of onFirst) assert.equal((await m.client.waitClose(10_000)).code, 1006);
  await waitFor(
    () => cluster.logs().some((l) => l['event'] === 'worker_exited' && l['pid'] === pids[0]),
    'the primary noticed the dead worker',
  );
  // Wait for the replacement's own JSON 'listening' line: its stdout banner can arrive before the log line.
  const newListener = () =>
    cluster
      .logs()
      .filter((l) => l['event'] === 'listening')
      .map((l) => l['pid'])
      .find((pid) => !pids.includes(pid as number));
  await waitFor(() => newListener() !== undefined, 'a replacement worker listening');
  const replacement = newListener();
  assert.equal(typeof replacement, 'number', 'a new worker process');

  // The survivors never noticed: still connected, still receiving, and they reach clients of the new worker.
  const survivor = onSecond[0]!;
  let newcomer: Member | null = null;
  for (let i = 0; i < 12 && newcomer === null; i++) {
    const m = await member(t, cluster, `late${i}`, 'chat:room');
    if (m.pid === replacement) newcomer = m;
  }
  assert.ok(newcomer !== null, 'a client reached the replacement worker');
  await survivor.client.request({
    type: 'publish',
    channel: 'chat:room',
    id: 'after',
    data: { text: 'after the crash' },
  });
  for (const m of [...onSecond, newcomer]) {
    assert.deepEqual(
      (
        await m.client.next(
          (msg) => msg.type === 'publication' && (msg['data'] as { text: string }).text === 'after the crash',
          10_000,
        )
      )['data'],
      { text: 'after the crash' },
    );
  }

  // SIGTERM to the primary: every worker drains with 1001, the primary exits 0.
  cluster.child.kill('SIGTERM');
  for (const m of [...onSecond, newcomer]) assert.equal((await m.client.waitClose(15_000)).code, 1001);
  assert.equal(await cluster.exited, 0);
  assert.equal(cluster.logs().filter((l) => l['event'] === 'stopped').length, 2, 'both live workers stopped cleanly');
});

test('serve --broker redis starts while Redis is down: /ready 200, /health and /metrics report it, publishes get 503, and all works once Redis answers (docs/security-cases.md RD-02, RD-10)', async (t) => {
  const redis = await startRedis(t);
  await redis.kill();
  const p = run(['--dev', '--port', '0', '--broker', redis.url, '--log-level', 'info']);
  t.after(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  await waitFor(
    () => /listening on http:\/\/127\.0\.0\.1:\d+ /.test(p.out()) || p.child.exitCode !== null,
    'listening',
    30_000,
  );
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(p.out())?.[1]);
  const base = `http://127.0.0.1:${port}`;
  assert.match(p.out(), /"event":"broker_unreachable"/);
  assert.equal((await fetch(`${base}/ready`)).status, 200, 'readiness stays node-local');
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { broker: { ok: boolean } }).broker.ok, false);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /switchboard_broker_up 0/);
  const publish = (): Promise<Response> =>
    fetch(`${base}/api/publish`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': DEV_API_KEY },
      body: JSON.stringify({ channel: 'chat:general', data: 'x' }),
    });
  const refused = await publish();
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: string }).error, 'broker_unavailable');
  await redis.restart();
  await waitFor(async () => (await publish()).status === 200, 'a publish accepted once Redis answers');
  // The subscriber connection may come up a moment after the command connection that took the publish.
  await waitFor(() => /"event":"broker_status".*"state":"up"/.test(p.out()), 'the broker_status up log line');
  assert.equal(((await (await fetch(`${base}/health`)).json()) as { broker: { ok: boolean } }).broker.ok, true);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});
