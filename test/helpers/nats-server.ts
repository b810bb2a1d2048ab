// Test helper: a real nats-server with JetStream (file store in a temporary directory) on a free loopback port,
// which tests kill and restart on the same port and store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { accepts, freePort } from './ports.ts';
import { findBinary } from './prereqs.ts';

/** A running nats-server that the test controls. */
export interface NatsServer {
  readonly port: number;
  readonly url: string;
  /** `kill -9` the server (the file store keeps what it had synced). */
  kill(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Kills the server and removes its store. */
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -js` on a free port with its own store, stopped in `t.after`.
 * @param t The test context whose `after` stops it; null to stop it yourself.
 */
export async function startNats(t: Pick<TestContext, 'after'> | null): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-nats-'));
  let port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';

  const launch = async (): Promise<void> => {
    const proc = spawn(findBinary('nats-server'), ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    child = proc;
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 15_000;
    // JetStream is ready shortly after the port accepts; the "Server is ready" line says so.
    while (!exited && !(log.includes('Server is ready') && (await accepts(port)))) {
      if (Date.now() > deadline) throw new Error(`nats-server did not start on ${port}: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (exited) throw new Error(`nats-server exited at start on port ${port}: ${log}`);
  };

  for (let attempt = 0; ; attempt++) {
    try {
      log = '';
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
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
  const server: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      log = '';
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t?.after(() => server.stop());
  return server;
}
