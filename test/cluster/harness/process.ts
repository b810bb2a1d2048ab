// Test harness: child processes with bounded output capture, readiness polling, and cleanup that never leaves one behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The slice of node:test's context the harness needs. */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** A child process started by a test. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  /** Sends a signal; a no-op once the process has exited. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  readonly running: boolean;
}

const MAX_OUTPUT = 64 * 1024;

/** Spawns a child whose output is captured; it is stopped in `t.after` if the test did not stop it. */
export function spawnChild(
  t: Cleanup,
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output += d.toString();
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, sig) => {
      running = false;
      resolve(code ?? sig ?? 'unknown');
    });
    child.once('error', (err) => {
      running = false;
      output += `\nspawn error: ${err.message}`;
      resolve('spawn-error');
    });
  });
  const handle: Child = {
    name,
    process: child,
    pid: child.pid ?? -1,
    exited,
    output: () => output,
    signal: (sig) => {
      if (running) child.kill(sig);
    },
    stop: async (graceMs = 3000) => {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (running) child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
    get running() {
      return running;
    },
  };
  t.after(() => handle.stop(2000));
  return handle;
}

/** A TCP port that was free a moment ago on `host` (for programs that cannot listen on port 0 and report it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Polls `check` every 50 ms until it returns true; throws after `timeoutMs` with `what` and the child's output. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs?: number; child?: Child; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (options.child !== undefined && !options.child.running) {
      throw new Error(`${options.child.name} exited while waiting for ${what}: ${options.child.output().slice(-2000)}`);
    }
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${options.child === undefined ? '' : `: ${options.child.output().slice(-2000)}`}`,
      );
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** GET `url` with a 1 s deadline; resolves with the status (0 when it could not connect). */
export async function httpStatus(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
