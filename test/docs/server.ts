// Test helper: `switchboard serve` from the CLI on a free port, as a user starts it, for the docs tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

/** A running `switchboard serve`. */
export interface ServeProcess {
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it printed so far, for failure messages. */
  output(): string;
  /** SIGTERM (drain), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

const LISTENING = /listening on http:\/\/[^:]+:(\d+)/;

/**
 * Runs `node bin/switchboard.js serve ...args` from the repository root and resolves once it prints its address.
 * @param root Repository root.
 * @param args `serve` arguments (give `--port 0`).
 * @param env Extra environment variables.
 */
export function startServe(
  root: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ServeProcess> {
  return startListening(process.execPath, [join(root, 'bin/switchboard.js'), 'serve', ...args], root, env);
}

/**
 * Runs a program that prints `listening on http://HOST:PORT` once it accepts connections (a `serve`, an example
 * backend) and resolves then.
 */
export function startListening(
  command: string,
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Promise<ServeProcess> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...documentsDirEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const what = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} printed no address within 20 s:\n${out}`));
    }, 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = LISTENING.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          httpUrl: `http://127.0.0.1:${port}`,
          wsUrl: `ws://127.0.0.1:${port}/ws`,
          port,
          child,
          output: () => out,
          stop,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${out}`));
    });
  });
}
