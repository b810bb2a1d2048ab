// Test helper: a real redis-server child on a free loopback port, which tests kill, restart and pause.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { accepts, freePort } from './ports.ts';
import { findBinary } from './prereqs.ts';

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** Keep data on disk (AOF, fsync always) so a restart keeps history; default: no persistence (restart empty). */
  readonly persistent?: boolean;
  /** Port to use (for a restart on the same port); default: a free one. */
  readonly port?: number;
  /** Extra `redis-server` arguments. */
  readonly args?: readonly string[];
}

/** A running redis-server that the test controls. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** `kill -9` the server (no save). */
  kill(): Promise<void>;
  /** Starts it again on the same port (with the same data directory when persistent). */
  restart(): Promise<void>;
  /** Runs one command on a short-lived connection (CLIENT KILL, DEBUG SLEEP, CONFIG SET...). */
  command(...args: (string | number)[]): Promise<unknown>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts `redis-server` on a free port (no persistence unless asked) and stops it in `t.after`.
 * @param t The test (or suite) context whose `after` stops the server; null to stop it yourself.
 * @param options Persistence, port and extra arguments.
 */
export async function startRedis(
  t: Pick<TestContext, 'after'> | null,
  options: RedisServerOptions = {},
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
  let port = options.port ?? (await freePort());
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--enable-debug-command',
      'yes',
      '--loglevel',
      'warning',
      ...(options.persistent === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ...(options.args ?? []),
    ];
    const proc = spawn(findBinary('redis-server'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    await waitFor(async () => exited || (await accepts(port)), 5000, `redis-server on port ${port}`);
    if (exited) throw new Error(`redis-server exited at start on port ${port}`);
  };

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      // Another process took the port between probing and starting: try another one.
      if (attempt >= 3 || options.port !== undefined) throw err;
      port = await freePort();
    }
  }

  const kill = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
  };

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    command: async (...args) => {
      const client = new Redis({
        port,
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: true,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        return await client.call(String(args[0]), args.slice(1).map(String));
      } finally {
        client.disconnect();
      }
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t?.after(() => server.stop());
  return server;
}
