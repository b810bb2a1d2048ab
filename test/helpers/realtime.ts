// Test helper: a RealtimeServer on port 0 with a MemoryBroker, and a protocol-level client on the `ws` library.
import type { TestContext } from 'node:test';
import { pack, unpack } from 'msgpackr';
import WebSocket from 'ws';
import { MemoryBroker } from '../../src/broker/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  createOriginPolicy,
  RealtimeServer,
  signToken,
  type NamespaceConfigInput,
  type RealtimeServerOptions,
} from '../../src/realtime/index.ts';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface Hub {
  readonly hub: RealtimeServer;
  readonly broker: MemoryBroker;
  readonly url: string;
  readonly port: number;
  /** Mints an HS256 token for `sub`. */
  token(
    sub: string,
    options?: { roles?: string[]; ttlMs?: number; info?: Record<string, unknown>; now?: () => number },
  ): Promise<string>;
}

export const TEST_NAMESPACES: Record<string, NamespaceConfigInput> = {
  chat: { historySize: 100, recoverOnJoin: 20 },
  small: { historySize: 5, recoverOnJoin: 0 },
  feed: { allowClientPublish: false },
  staff: { roles: { subscribe: ['staff'], publish: ['staff'] } },
  nohist: { historySize: 0, recoverOnJoin: 0, presence: false, typing: false },
};

/** Starts a hub; everything is closed in `t.after`. */
export async function startHub(
  t: TestContext,
  options: Partial<Omit<RealtimeServerOptions, 'namespaces'>> & {
    anonymous?: string[];
    namespaces?: Record<string, NamespaceConfigInput>;
  } = {},
): Promise<Hub> {
  const { anonymous, namespaces, ...rest } = options;
  const broker = new MemoryBroker();
  const authenticator = await createAuthenticator({
    keys: [{ type: 'secret', secret: SECRET }],
    ...(anonymous === undefined ? {} : { anonymousRoles: anonymous }),
  });
  const hub = new RealtimeServer({
    port: 0,
    broker,
    namespaces: createNamespaces(namespaces ?? TEST_NAMESPACES),
    authenticator,
    originPolicy: createOriginPolicy({ allowedOrigins: ['https://app.example.com'] }),
    ...rest,
  });
  const address = await hub.wss.listen();
  t.after(async () => {
    await hub.drain({ timeoutMs: 500 });
    await broker.close();
  });
  return {
    hub,
    broker,
    port: address.port,
    url: `ws://127.0.0.1:${address.port}/ws`,
    token: (sub, o = {}) =>
      signToken(
        { sub, roles: o.roles ?? [], ttlMs: o.ttlMs ?? 3_600_000, ...(o.info === undefined ? {} : { info: o.info }) },
        { type: 'secret', secret: SECRET },
        o.now === undefined ? {} : { now: o.now },
      ),
  };
}

type Message = Record<string, unknown> & { type: string };

/** A raw protocol client: sends objects, collects decoded server messages, records the close. */
export class TestClient {
  readonly ws: WebSocket;
  readonly received: Message[] = [];
  readonly binary: boolean;
  closeCode: number | null = null;
  closeReason = '';
  #waiters: (() => void)[] = [];
  #rid = 1000;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket, binary: boolean) {
    this.ws = ws;
    this.binary = binary;
    ws.on('message', (data, isBinary) => {
      const value = isBinary ? unpack(data as Buffer) : JSON.parse(String(data));
      this.received.push(value as Message);
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.#wake();
        resolve({ code, reason: this.closeReason });
      });
    });
    ws.on('error', () => {});
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** A fresh request id. */
  rid(): number {
    return ++this.#rid;
  }

  /** Sends a message object (JSON text or MessagePack binary per the connection), or raw text/bytes. */
  send(message: unknown): void {
    if (typeof message === 'string' || message instanceof Uint8Array) this.ws.send(message);
    else this.ws.send(this.binary ? pack(message) : JSON.stringify(message));
  }

  /** Waits for (and removes) the first received message matching `match`. */
  async next(match: (m: Message) => boolean = () => true, timeoutMs = 3000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.received.findIndex(match);
      if (i >= 0) return this.received.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `No matching message within ${timeoutMs} ms; received: ${JSON.stringify(this.received).slice(0, 800)}; close ${this.closeCode}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the answer to `rid` (any message with `re === rid`). */
  answer(rid: number, timeoutMs = 3000): Promise<Message> {
    return this.next((m) => m['re'] === rid, timeoutMs);
  }

  /** Sends a request with a fresh rid and waits for its answer. */
  async request(message: Record<string, unknown>, timeoutMs = 3000): Promise<Message> {
    const rid = this.rid();
    this.send({ ...message, rid });
    return this.answer(rid, timeoutMs);
  }

  /** Waits until the server closes the connection. */
  async waitClose(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a raw client (no `connect` sent). */
export async function openRaw(
  t: TestContext,
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<TestClient> {
  const protocols = options.protocols ?? ['switchboard.v1.json'];
  const ws = new WebSocket(url, protocols, { headers: options.headers ?? {} });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const client = new TestClient(ws, ws.protocol === 'switchboard.v1.msgpack');
  t.after(() => ws.terminate());
  return client;
}

/** Opens a client and authenticates with `connect` (token for `user`, or anonymous when user is null). */
export async function openClient(
  t: TestContext,
  hub: Hub,
  user: string | null,
  options: { protocols?: string[]; roles?: string[]; info?: Record<string, unknown> } = {},
): Promise<TestClient> {
  const client = await openRaw(t, hub.url, options);
  const token =
    user === null
      ? undefined
      : await hub.token(user, {
          ...(options.roles ? { roles: options.roles } : {}),
          ...(options.info ? { info: options.info } : {}),
        });
  const answer = await client.request({ type: 'connect', ...(token === undefined ? {} : { token }) });
  if (answer.type !== 'connected') throw new Error(`connect failed: ${JSON.stringify(answer)}`);
  return client;
}

/** The HTTP status of a refused handshake (or 101). */
export function handshakeStatus(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? ['switchboard.v1.json'], { headers: options.headers ?? {} });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}
