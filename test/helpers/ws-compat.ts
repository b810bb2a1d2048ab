// Test helper: drive the ws adapter with two clients of the same API (the real `ws` package and our adapter), with bounded waits.
import type { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';
import RealWebSocket from 'ws';
import { WebSocket as AdapterWebSocket } from '../../src/engine/ws-compat.ts';

/** What both client classes share (ws's API). */
export interface WsPeer extends EventEmitter {
  readonly readyState: number;
  readonly protocol: string;
  binaryType: string;
  send(data: unknown, options?: object, cb?: (err?: Error) => void): void;
  send(data: unknown, cb?: (err?: Error) => void): void;
  ping(data?: unknown, mask?: boolean, cb?: (err?: Error) => void): void;
  pong(data?: unknown, mask?: boolean, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string | Buffer): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
}

/** A client constructor under test, by name. */
export interface ClientKind {
  readonly name: 'ws' | 'switchboard/ws';
  create(url: string, protocols?: string | string[], options?: Record<string, unknown>): WsPeer;
}

/** The two clients every README example is driven with. */
export const CLIENTS: readonly ClientKind[] = [
  { name: 'ws', create: (url, protocols, options) => new RealWebSocket(url, protocols, options) as unknown as WsPeer },
  {
    name: 'switchboard/ws',
    create: (url, protocols, options) => new AdapterWebSocket(url, protocols, options) as unknown as WsPeer,
  },
];

/** Resolves with the arguments of the next `event` of `emitter`, or rejects after `timeoutMs`. */
export function nextEmit<A extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  timeoutMs = 3_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as A);
    };
    emitter.once(event, listener);
  });
}

/** A received message as both clients report it. */
export interface Received {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** Collects a peer's messages; `next()` waits for the next one (bounded). */
export class MessageLog {
  readonly items: Received[] = [];
  #waiters: (() => void)[] = [];
  #read = 0;

  constructor(peer: EventEmitter) {
    peer.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.items.push({ data: buf, isBinary });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    });
  }

  /** The next message not yet returned by `next()`. */
  async next(timeoutMs = 3_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length <= this.#read) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.items[this.#read++]!;
  }
}

/** Opens a client of `kind`, waits for `open`, and terminates it after the test. */
export async function openClient(
  t: TestContext,
  kind: ClientKind,
  url: string,
  protocols?: string | string[],
  options?: Record<string, unknown>,
): Promise<{ peer: WsPeer; log: MessageLog; closed: Promise<[number, Buffer]> }> {
  const peer = kind.create(url, protocols, options);
  const log = new MessageLog(peer);
  const closed = new Promise<[number, Buffer]>((resolve) =>
    peer.once('close', (code: number, reason: Buffer) => resolve([code, reason])),
  );
  t.after(() => peer.terminate());
  const [err] = await Promise.race([nextEmit(peer, 'open').then(() => [null]), nextEmit<[Error]>(peer, 'error')]);
  if (err !== null) throw err;
  return { peer, log, closed };
}

/** Polls `check` every 5 ms until it is truthy, or fails after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
