// Test helper: spawns `switchboard echo` and reads its banner.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Spawns `switchboard echo`, resolves with its banner URL; the process is killed after the test. */
export async function spawnEcho(t: { after(fn: () => unknown): void }, args: string[] = []): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['bin/switchboard.js', 'echo', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no banner within 20 s')), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`echo exited early with ${code}`)));
  });
  const m = /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/\S*)$/.exec(first);
  assert.ok(m, `banner: ${first}`);
  assert.notEqual(m[2], '0', 'the real port is shown');
  return { child, url: m[1]!, exited };
}

