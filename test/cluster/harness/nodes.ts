// Test harness: `switchboard serve` nodes and a private redis-server, as real processes on free loopback ports.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { findBinary } from './binaries.ts';
import { freePort, httpStatus, spawnChild, waitFor, type Child, type Cleanup } from './process.ts';
import { scratchDir } from './proxy.ts';
import { ROOT } from './templates.ts';

/**
 * Presence heartbeat of the test nodes (config `broker.presenceHeartbeatMs`): a dead node's presence entries vanish
 * within 3 heartbeats (RedisBroker), so 3 s here instead of the default 15 s.
 */
export const CLUSTER_PRESENCE_HEARTBEAT_MS = 1000;

/** HS256 secret the nodes share (tests sign tokens with it). */
export const CLUSTER_SECRET = 'cluster-test-secret-at-least-32-bytes-long';
/** API key for POST /api/publish. */
export const CLUSTER_API_KEY = 'cluster-test-api-key-0123456789';

/**
 * The node configuration of the cluster tests: production mode behind a proxy (plaintext allowed), HS256 auth,
 * a `chat` namespace with history, presence and join/leave. Per-IP limits are raised because every test client
 * comes from loopback, so X-Forwarded-For would name 127.0.x.y; trusted proxies are tested on their own.
 */
export function clusterConfig(overrides: { drainTimeoutMs?: number } = {}): Record<string, unknown> {
  return {
    mode: 'production',
    allowPlaintext: true,
    host: '127.0.0.1',
    auth: { hs256Secret: CLUSTER_SECRET },
    namespaces: {
      chat: { historySize: 10_000, historyTtlMs: 600_000, recoverOnJoin: 0, presence: true, joinLeave: true },
    },
    apiKeys: [CLUSTER_API_KEY],
    limits: {
      maxConnectionsPerIp: 100_000,
      connectionsPerMinutePerIp: 100_000,
      maxConnectionsPerUser: 1000,
      messagesPerSecond: 100_000,
      messagesBurst: 100_000,
      bytesPerSecond: 100_000_000,
      bytesBurst: 100_000_000,
      drainTimeoutMs: overrides.drainTimeoutMs ?? 3000,
      pingIntervalMs: 5000,
      pongTimeoutMs: 5000,
    },
    broker: { presenceHeartbeatMs: CLUSTER_PRESENCE_HEARTBEAT_MS },
    log: { level: 'warn', pretty: false },
    web: { enabled: false },
  };
}

/** A running `switchboard serve`. */
export interface Node {
  readonly name: string;
  readonly port: number;
  readonly httpUrl: string;
  /** The current process (a new one after {@link Node.restart}). */
  readonly child: Child;
  /** GET /api/stats of this node (not through the proxy). */
  stats(): Promise<Record<string, unknown>>;
  /** Starts the node again on the same port, after it exited (a rolling restart keeps the proxy's upstream list). */
  restart(): Promise<void>;
}

/** Starts `switchboard serve` with `clusterConfig()` (or `config`) and the given broker URL, on a free port. */
export async function startNode(
  t: Cleanup,
  name: string,
  options: { broker: string; config?: Record<string, unknown>; extraArgs?: string[] },
): Promise<Node> {
  const dir = scratchDir(t, `node-${name}`);
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(options.config ?? clusterConfig()));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    NODE_OPTIONS: '',
  };
  const spawnOn = async (wanted: number): Promise<{ child: Child; port: number }> => {
    const child = spawnChild(
      t,
      `node ${name}`,
      process.execPath,
      [
        join(ROOT, 'bin', 'switchboard.js'),
        'serve',
        '--config',
        configPath,
        '--port',
        String(wanted),
        '--broker',
        options.broker,
        ...(options.extraArgs ?? []),
      ],
      { env, cwd: ROOT },
    );
    let port = 0;
    await waitFor(
      `node ${name} to print where it listens`,
      () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(child.output());
        if (m !== null) port = Number(m[1]);
        return m !== null;
      },
      { child, timeoutMs: 30_000 },
    );
    await waitFor(`node ${name} /ready`, async () => (await httpStatus(`http://127.0.0.1:${port}/ready`)) === 200, {
      child,
    });
    return { child, port };
  };
  let { child, port } = await spawnOn(0);
  const httpUrl = `http://127.0.0.1:${port}`;
  return {
    name,
    port,
    httpUrl,
    get child() {
      return child;
    },
    stats: async () =>
      (await (await fetch(`${httpUrl}/api/stats`, { signal: AbortSignal.timeout(2000) })).json()) as Record<
        string,
        unknown
      >,
    restart: async () => {
      if (child.running) throw new Error(`node ${name} is still running`);
      ({ child, port } = await spawnOn(port));
    },
  };
}

/** A private redis-server (no persistence) on a fixed free port, restartable on the same port. */
export interface Redis {
  readonly port: number;
  readonly url: string;
  readonly child: Child;
  /** Starts it again on the same port after a kill (empty: no persistence). */
  restart(): Promise<void>;
  /** Sends one command (inline protocol) and resolves with the raw reply text. */
  command(line: string): Promise<string>;
}

/**
 * Starts redis-server on a free port; stopped after the test.
 * @param options.persistent - append-only file fsynced on every write, so a killed Redis restarts with every acknowledged
 *   write (a production setting); otherwise it restarts empty
 */
export async function startRedis(t: Cleanup, options: { persistent?: boolean } = {}): Promise<Redis> {
  const dir = scratchDir(t, 'redis');
  const port = await freePort();
  const persistence =
    options.persistent === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    ...persistence,
    '--dir',
    dir,
    '--protected-mode',
    'yes',
  ];
  const start = async (): Promise<Child> => {
    const child = spawnChild(t, 'redis', findBinary('redis-server'), args);
    await waitFor('redis PING', async () => (await sendRedis(port, 'PING')).startsWith('+PONG'), { child });
    return child;
  };
  let child = await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get child() {
      return child;
    },
    restart: async () => {
      if (child.running) throw new Error('redis is still running');
      child = await start();
    },
    command: (line) => sendRedis(port, line),
  };
}

/** One inline command to Redis; resolves with what arrives within 1 s of the first reply byte. */
function sendRedis(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reply === '' ? reject(new Error('no reply from redis')) : resolve(reply);
    }, 1000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`${line}\r\n`));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
  });
}
