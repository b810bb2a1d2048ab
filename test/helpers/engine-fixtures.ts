// Test helper: engine servers on port 0 with cleanup, bounded waits, and a fake socket that records writes.
import type { TestContext } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type ServerOptions, type WebSocket } from '../../src/engine/index.ts';

/** Starts a standalone engine server on 127.0.0.1:0, closed after the test. */
export async function startServer(
  t: TestContext,
  options: Omit<ServerOptions, 'port'> = {},
): Promise<{ wss: WebSocketServer; port: number; url: string }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  const { port } = await wss.listen();
  t.after(() => wss.close({ timeoutMs: 100 }));
  return { wss, port, url: `ws://127.0.0.1:${port}/` };
}

/** Polls `check` every 5 ms until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the next event of `type` on `ws`, or rejects after `timeoutMs`. */
export function nextEvent<E = unknown>(ws: WebSocket, type: string, timeoutMs = 3_000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    ws.addEventListener(
      type,
      (e: unknown) => {
        clearTimeout(timer);
        resolve(e as E);
      },
      { once: true },
    );
  });
}

/** Resolves with the next `connection` of `wss`, or rejects after `timeoutMs`. */
export function nextConnection(wss: WebSocketServer, timeoutMs = 3_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    wss.once('connection', (ws) => {
      clearTimeout(timer);
      resolve(ws);
    });
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * An in-memory socket for `handleUpgrade`: `feed()` plays the peer's bytes, every write call of
 * the engine is recorded (one entry per `write`/`writev`), and `pause()` state is observable.
 */
export class FakeSocket extends Duplex {
  /** One entry per syscall-equivalent: the chunks handed to the stream's sink at once. */
  readonly writes: Buffer[][] = [];
  remoteAddress = '127.0.0.9';

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push([chunk]);
    cb();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.writes.push(chunks.map((c) => c.chunk));
    cb();
  }

  /** Delivers bytes as if the peer sent them in one TCP read. */
  feed(bytes: Uint8Array): void {
    this.push(Buffer.from(bytes));
  }

  /** All bytes written, concatenated. */
  written(): Buffer {
    return Buffer.concat(this.writes.flat());
  }
}

/** A minimal upgrade request object in IncomingMessage's shape. */
export function fakeUpgradeRequest(key: string, extra: Record<string, string> = {}): IncomingMessage {
  const headers: Record<string, string> = {
    host: '127.0.0.1',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': key,
    'sec-websocket-version': '13',
    ...extra,
  };
  const distinct: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) distinct[k] = [v];
  return {
    method: 'GET',
    httpVersion: '1.1',
    url: '/',
    headers,
    headersDistinct: distinct,
  } as unknown as IncomingMessage;
}

/** A self-signed EC certificate for localhost and 127.0.0.1, made with the openssl CLI (Node cannot create certificates). */
export function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
