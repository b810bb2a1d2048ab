// Test helper: spawns `switchboard echo` or `serve --dev` and reads its banner; the environment of a client command.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { documentsDirEnv } from './documents-dir.ts';

/** Spawns `switchboard echo`, resolves with its banner URL; the process is killed after the test. */
export async function spawnEcho(
  t: { after(fn: () => unknown): void },
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['bin/switchboard.js', 'echo', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** Starts `switchboard serve --dev` on a free port; killed after the test. */
export async function serveDev(
  t: { after(fn: () => unknown): void },
  extra: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--dev', '--port', '0', '--log-level', 'warn', ...extra],
    {
      env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\(WebSocket (ws:\/\/127\.0\.0\.1:\d+\/ws)\)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

/** A `serve` started by {@link spawnServe}. */
export interface SpawnedServe {
  readonly child: ChildProcess;
  /** The port once it listens, or the exit code and stderr when it exits first (killed after `timeoutMs`). */
  readonly started: Promise<{ port: number } | { code: number | null; stderr: string }>;
  /** The port once it listens; rejects with the exit code and stderr when it exits first. */
  readonly port: Promise<number>;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/**
 * Spawns `switchboard serve` from the sources (tsx) with `args`, the runner's environment cleared of its config and
 * node options, a documents directory of its own, and `env`. Nothing kills it after the test: the caller does.
 * @param options `timeoutMs`: how long it may take to listen before it is killed. @default 30000
 */
export function spawnServe(
  args: string[],
  env: Record<string, string> = {},
  options: { readonly timeoutMs?: number } = {},
): SpawnedServe {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '', ...documentsDirEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ port: number } | { code: number | null; stderr: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output.stdout());
      if (m !== null) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]) });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ code, stderr: output.stderr() });
    });
  });
  const port = started.then((s) => {
    if ('port' in s) return s.port;
    throw new Error(`serve exited with ${s.code} before listening: ${s.stderr}`);
  });
  port.catch(() => {}); // awaited by the tests that want it; a refused start is not an unhandled rejection
  return { child, started, port, exited, stdout: output.stdout, stderr: output.stderr };
}

/**
 * Collects what a child process prints.
 * @param child A process spawned with piped stdout and stderr.
 * @param stderrTail Keep only this many last characters of stderr (a chatty child's log); all when unset.
 */
export function collectOutput(
  child: { readonly stdout: Readable; readonly stderr: Readable },
  stderrTail?: number,
): { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (stderrTail !== undefined && err.length > stderrTail) err = err.slice(-stderrTail);
  });
  return { stdout: () => out, stderr: () => err };
}

/**
 * Runs a command of the CLI to its end (killed after 30 s) and collects what it printed.
 * @param argv What follows `node`: the entry (`bin/switchboard.js`, or `--import tsx src/cli/main.ts`) and arguments.
 * @param env The whole environment of the command.
 */
export function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out: output.stdout(), err: output.stderr() });
    });
  });
}

/** The environment of a client command: the runner's, without its SWITCHBOARD_TOKEN, plus `extra`. */
export function clientEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env['SWITCHBOARD_TOKEN'];
  return { ...env, ...extra };
}
