// Test helper: memory sampling for hostile-input cases, through an echo server in a child process run with --expose-gc.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Impl } from './echo-server.ts';

const CHILD = fileURLToPath(new URL('./echo-child.ts', import.meta.url));

export interface MemSample {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly connections: number;
  readonly resources: Record<string, number>;
  readonly gc: boolean;
}

export interface ChildStats {
  readonly connections: number;
  readonly closes: Array<{ code: number; reason: string; wasClean: boolean | null }>;
  readonly errors: string[];
}

export interface ChildServer {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Runs gc twice in the child and samples its memory. */
  mem(timeoutMs?: number): Promise<MemSample>;
  stats(timeoutMs?: number): Promise<ChildStats>;
  /** True while the child runs (it exits with code 70 on an uncaught exception). */
  alive(): boolean;
  /** Lines the child printed that were not answers (e.g. an uncaught exception report) and its stderr. */
  readonly output: string[];
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  readonly impl?: Impl;
  readonly options?: Record<string, unknown>;
  /** Run the child under `ulimit -n <n>` (RX-11). */
  readonly maxFds?: number;
  readonly timeoutMs?: number;
}

/** Spawns an echo server in a child node process (`--expose-gc`, tsx) and waits for its port. */
export async function spawnEchoChild(spec: SpawnOptions = {}): Promise<ChildServer> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    CHILD,
    JSON.stringify({ impl: spec.impl ?? 'switchboard', options: spec.options ?? {} }),
  ];
  const child =
    spec.maxFds === undefined
      ? spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
      : spawn('/bin/sh', ['-c', `ulimit -n ${spec.maxFds} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, NODE_OPTIONS: '' },
        });
  const output: string[] = [];
  const waiters: Array<(line: string) => boolean> = [];
  let exitCode: number | null | undefined;
  child.on('exit', (code) => (exitCode = code));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const i = waiters.findIndex((w) => w(line));
    if (i >= 0) waiters.splice(i, 1);
    else output.push(line);
  });
  const next = <T>(pred: (o: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const j = waiters.indexOf(w);
        if (j >= 0) waiters.splice(j, 1);
        reject(new Error(`child server: no ${what} within ${timeoutMs} ms; output: ${output.join('\n').slice(-2000)}`));
      }, timeoutMs);
      const w = (line: string): boolean => {
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return false;
        }
        if (!pred(o)) return false;
        clearTimeout(timer);
        resolve(o as T);
        return true;
      };
      waiters.push(w);
    });
  const { port } = await next<{ port: number }>(
    (o) => typeof o['port'] === 'number',
    spec.timeoutMs ?? 20_000,
    'port line',
  );
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    child,
    output,
    alive: () => exitCode === undefined,
    mem(timeoutMs = 10_000) {
      const p = next<MemSample>((o) => 'heapUsed' in o, timeoutMs, 'mem answer');
      child.stdin!.write('mem\n');
      return p;
    },
    stats(timeoutMs = 10_000) {
      const p = next<ChildStats>((o) => 'closes' in o, timeoutMs, 'stats answer');
      child.stdin!.write('stats\n');
      return p;
    },
    stop() {
      return new Promise((resolve) => {
        if (exitCode !== undefined) return resolve(exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.stdin!.end();
      });
    },
  };
}

/** In-process memory sample (no gc control): use with generous bounds only. */
export function sampleSelf(): { heapUsed: number; rss: number; arrayBuffers: number } {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, arrayBuffers: m.arrayBuffers };
}

export const MiB = 1024 * 1024;
