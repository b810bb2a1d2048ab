// Test helper: a mosquitto broker of the test's own on a free loopback port, with persistence, so a test can stop
// and restart it (the shared one on 1883 is left alone).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { accepts, freePort } from '../../helpers/ports.ts';

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  /** SIGTERM: mosquitto writes its persistence file (sessions, queued messages) and exits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

/** Starts mosquitto (persistence on, queue limit raised above the tests' message counts); stopped in `t.after`. */
export async function startMosquitto(t: Pick<TestContext, 'after'>): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // Started as root, mosquitto switches to the user `mosquitto`, which cannot write the test's directory.
      `user ${userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      // The default (1000) drops QoS 1 messages beyond it for a slow or absent session.
      'max_queued_messages 100000',
      'log_dest none',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child = proc;
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await gone;
  };
  await start();
  t.after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, start };
}
