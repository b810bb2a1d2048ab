// Test helper: starts test/ingest/helpers/source-child.ts as a real child process and waits until it consumes.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';

/** A consumer child process (see source-child.ts). */
export interface SourceChild {
  readonly process: ChildProcess;
  /** SIGKILL, no chance to ack or close anything. */
  kill9(): Promise<void>;
  /** SIGTERM: the child closes its source (in-flight acks finish) and exits. */
  stop(): Promise<void>;
}

export async function startSourceChild(
  t: Pick<TestContext, 'after'>,
  kind: 'amqp' | 'mqtt',
  options: Record<string, unknown>,
  file: string,
  delayMs: number,
): Promise<SourceChild> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/ingest/helpers/source-child.ts', kind, JSON.stringify(options), file, String(delayMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  t.after(async () => {
    if (!gone()) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`source child did not start: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`source child exited (${code}): ${stderr}`));
    });
  });
  return {
    process: child,
    kill9: async () => {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (gone()) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Lines of a child's output file as [position, payload] pairs (a torn last line from a SIGKILL is dropped). */
export function readDeliveries(text: string): { position: string; payload: Record<string, unknown> }[] {
  const out: { position: string; payload: Record<string, unknown> }[] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    try {
      out.push({ position: line.slice(0, tab), payload: JSON.parse(line.slice(tab + 1)) as Record<string, unknown> });
    } catch {
      // The process was killed in the middle of writing this line.
    }
  }
  return out;
}
