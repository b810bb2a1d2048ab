// Test helper: runs the Python `websockets` interop peers (test/interop/python/) and talks JSON lines with them over stdio.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MissingToolError } from './prereqs.ts';

const DIR = fileURLToPath(new URL('../interop/python/', import.meta.url));

let cachedPython: string | undefined;

/**
 * The first python3 that can `import websockets` (a pyenv shim on PATH may hide Debian's python3-websockets).
 * @throws when none has the module (install Debian `python3-websockets`).
 */
export function findPython(): string {
  if (cachedPython !== undefined) return cachedPython;
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(candidate, ['-c', 'import websockets; print(websockets.__version__)'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.status === 0) {
      cachedPython = candidate;
      return candidate;
    }
  }
  throw new MissingToolError('python3 with the websockets module', 'python3-websockets');
}

/** The `websockets` version, for the interop matrix. */
export function pythonWebsocketsVersion(): string {
  return spawnSync(findPython(), ['-c', 'import websockets; print(websockets.__version__)'], {
    encoding: 'utf8',
  }).stdout.trim();
}

type Json = Record<string, unknown>;

class LineChannel {
  readonly child: ChildProcess;
  readonly lines: Json[] = [];
  readonly stderr: string[] = [];
  #waiters: Array<{ pred: (o: Json) => boolean; resolve: (o: Json) => void }> = [];
  exited = false;

  constructor(script: string) {
    this.child = spawn(findPython(), ['-u', DIR + script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('exit', () => (this.exited = true));
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let o: Json;
      try {
        o = JSON.parse(line) as Json;
      } catch {
        this.stderr.push(line);
        return;
      }
      const i = this.#waiters.findIndex((w) => w.pred(o));
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(o);
      else this.lines.push(o);
    });
  }

  /** Resolves with the first line (already received or future) matching `pred`. */
  next(pred: (o: Json) => boolean, timeoutMs: number, what: string): Promise<Json> {
    const i = this.lines.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.lines.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (o: Json) => {
          clearTimeout(timer);
          resolve(o);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        reject(
          new Error(`python peer: no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.join('').slice(-2000)}`),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin!.end();
      setTimeout(() => {
        if (!this.exited) this.child.kill('SIGTERM');
      }, 1_000).unref();
    });
  }
}

export interface PythonServer {
  readonly port: number;
  readonly url: string;
  /** Waits for the server to report a closed connection: the close code and reason it saw. */
  nextClosed(timeoutMs?: number): Promise<{ code: number | null; reason: string }>;
  stop(): Promise<void>;
}

/** Starts test/interop/python/echo_server.py (commands: `__cmd:close|frag|fragbin|ping:…`). */
export async function startPythonServer(): Promise<PythonServer> {
  const ch = new LineChannel('echo_server.py');
  const ready = await ch.next((o) => o['event'] === 'listening', 15_000, 'listening line');
  const port = ready['port'] as number;
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    async nextClosed(timeoutMs = 10_000) {
      const o = await ch.next((x) => x['event'] === 'closed', timeoutMs, 'closed event');
      return { code: o['code'] as number | null, reason: String(o['reason'] ?? '') };
    },
    stop: () => ch.stop(),
  };
}

export interface PythonClient {
  /** Sends one command and returns its answer line; fails on an `error` answer unless `allowError`. */
  call(op: string, args?: Json, timeoutMs?: number): Promise<Json>;
  stop(): Promise<void>;
}

/** Starts test/interop/python/client_driver.py. */
export function startPythonClient(): PythonClient {
  const ch = new LineChannel('client_driver.py');
  let seq = 0;
  return {
    async call(op, args = {}, timeoutMs = 15_000) {
      const id = ++seq;
      const p = ch.next((o) => o['id'] === id, timeoutMs, `answer to ${op}`);
      ch.child.stdin!.write(`${JSON.stringify({ ...args, op, id })}\n`);
      const answer = await p;
      if (typeof answer['error'] === 'string') throw new Error(`python ${op}: ${answer['error']}`);
      return answer;
    },
    stop: () => ch.stop(),
  };
}

/** The deterministic payloads both sides generate for size cases (`pattern()` in the Python scripts). */
export function pattern(size: number, binary: boolean): Buffer {
  const b = Buffer.allocUnsafe(size);
  if (binary) for (let i = 0; i < size; i++) b[i] = i % 251;
  else for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
  return b;
}
