// Test helper: an echo server under test (Switchboard's engine, or `ws` to prove the helpers), recording what it saw.
import type { AddressInfo } from 'node:net';

/** Which implementation serves: `switchboard` is the system under test; `ws` proves the raw helper itself. */
export type Impl = 'switchboard' | 'ws';

export interface ServerClose {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean | null;
}

/**
 * A running echo server. Text is echoed as text and binary as binary, except text commands:
 * - `__cmd:close:CODE:REASON` the server closes with that code and reason
 * - `__cmd:ping:PAYLOAD`      the server pings; when the pong arrives it sends `__pong:PAYLOAD`
 * - `__cmd:terminate`         the server destroys the connection
 * - `__cmd:count`             the server answers `__count:N` (open connections)
 * - `__cmd:flood:N:SIZE`      the server sends N binary messages of SIZE bytes at once (slow-consumer cases)
 * - `__cmd:frag:N:TEXT`       (ws only) the server sends TEXT (ASCII) as N fragments; `__cmd:fragbin:N:SIZE` binary
 * A command that throws (e.g. close with a reserved code) answers `__error:NAME:MESSAGE` instead.
 */
export interface EchoServer {
  readonly impl: Impl;
  readonly port: number;
  readonly url: string;
  /** Close events seen on server-side connections, in order. */
  readonly closes: ServerClose[];
  /** `error` events from the server itself (should stay empty: a hostile peer must not break the server). */
  readonly errors: unknown[];
  /** `error` events on server-side connections (expected when a peer misbehaves; recorded so none is unhandled). */
  readonly connectionErrors: unknown[];
  /** Messages received by the server (type and size only, plus text up to 200 chars). */
  readonly received: Array<{ binary: boolean; size: number; text?: string }>;
  /** Largest `bufferedAmount` seen right after a `flood` send (engine only; -1 for ws). */
  readonly stats: { maxBuffered: number; floodSent: number };
  /** Number of currently open server-side connections. */
  connectionCount(): number;
  /** Resolves when `closes.length >= n` (bounded). */
  waitCloses(n: number, timeoutMs?: number): Promise<ServerClose[]>;
  /** The underlying server object (engine WebSocketServer or ws.WebSocketServer). */
  readonly server: unknown;
  stop(): Promise<void>;
}

/** Options passed to the engine's `WebSocketServer` (switchboard) or mapped to `ws` where it has an equivalent. */
export type EchoOptions = Record<string, unknown>;

async function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Peer {
  send(data: string | Buffer): void;
  /** Sends one message as several frames (only `ws` can; the engine's API has no fragment send). */
  sendFragments?(parts: Array<string | Buffer>, binary: boolean): void;
  bufferedAmount(): number;
  close(code?: number, reason?: string): void;
  ping(payload: Buffer): Promise<void>;
  terminate(): void;
}

function makeHandler(
  peer: Peer,
  received: EchoServer['received'],
  count: () => number,
  stats: EchoServer['stats'],
): (data: string | Buffer, binary: boolean) => void {
  return (data, binary) => {
    try {
      handleOne(data, binary);
    } catch (err) {
      const e = err as Error;
      try {
        peer.send(`__error:${e.name}:${e.message}`);
      } catch {
        // the connection is closing: nothing to report to
      }
    }
  };
  function handleOne(data: string | Buffer, binary: boolean): void {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    received.push(binary ? { binary, size } : { binary, size, text: String(data).slice(0, 200) });
    if (!binary && typeof data === 'string' && data.startsWith('__cmd:')) {
      const [, cmd, ...rest] = data.split(':');
      if (cmd === 'close') {
        const code = rest[0] === '' || rest[0] === undefined ? undefined : Number(rest[0]);
        const reason = rest.slice(1).join(':');
        peer.close(code, reason);
      } else if (cmd === 'ping') {
        const payload = rest.join(':');
        peer.ping(Buffer.from(payload)).then(
          () => peer.send(`__pong:${payload}`),
          () => undefined,
        );
      } else if (cmd === 'terminate') {
        peer.terminate();
      } else if (cmd === 'count') {
        peer.send(`__count:${count()}`);
      } else if (cmd === 'frag' || cmd === 'fragbin') {
        if (peer.sendFragments === undefined) throw new Error('fragment send not supported by this implementation');
        const n = Number(rest[0]);
        const whole =
          cmd === 'frag'
            ? Buffer.from(rest.slice(1).join(':'))
            : Buffer.from(Array.from({ length: Number(rest[1]) }, (_, i) => i % 251));
        const size = Math.max(1, Math.ceil(whole.length / n));
        const parts: Buffer[] = [];
        for (let i = 0; i < whole.length; i += size) parts.push(whole.subarray(i, i + size));
        peer.sendFragments(cmd === 'frag' ? parts.map((p) => p.toString('latin1')) : parts, cmd === 'fragbin');
      } else if (cmd === 'flood') {
        const n = Number(rest[0]);
        const size = Number(rest[1]);
        const chunk = Buffer.alloc(size, 0x61);
        for (let i = 0; i < n; i++) {
          peer.send(chunk);
          stats.floodSent++;
          stats.maxBuffered = Math.max(stats.maxBuffered, peer.bufferedAmount());
        }
      }
      return;
    }
    peer.send(data);
  }
}

/** Starts an echo server on 127.0.0.1, port 0. */
export async function startEcho(impl: Impl = 'switchboard', options: EchoOptions = {}): Promise<EchoServer> {
  const closes: ServerClose[] = [];
  const errors: unknown[] = [];
  const connectionErrors: unknown[] = [];
  const received: EchoServer['received'] = [];
  const stats = { maxBuffered: 0, floodSent: 0 };
  const waitCloses = (n: number, timeoutMs = 5_000) =>
    waitFor(() => (closes.length >= n ? closes : undefined), timeoutMs, `${n} server-side close events`);

  if (impl === 'ws') {
    const { WebSocketServer } = await import('ws');
    const maxPayload = typeof options['maxMessageSize'] === 'number' ? options['maxMessageSize'] : 64 * 1024 * 1024;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('error', (e) => errors.push(e));
    let open = 0;
    wss.on('connection', (ws) => {
      open++;
      ws.on('error', (e) => connectionErrors.push(e));
      const peer: Peer = {
        send: (d) => ws.send(d),
        sendFragments: (parts, binary) => {
          parts.forEach((p, i) => {
            ws.send(p, { binary, fin: i === parts.length - 1 });
          });
        },
        bufferedAmount: () => ws.bufferedAmount,
        close: (c, r) => ws.close(c, r),
        terminate: () => ws.terminate(),
        ping: (p) =>
          new Promise((resolve) => {
            ws.once('pong', () => resolve());
            ws.ping(p);
          }),
      };
      const handle = makeHandler(peer, received, () => open, stats);
      ws.on('message', (data, isBinary) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        handle(isBinary ? buf : buf.toString('utf8'), isBinary);
      });
      ws.on('close', (code, reason) => {
        open--;
        closes.push({ code, reason: reason.toString('utf8'), wasClean: null });
      });
    });
    const port = (wss.address() as AddressInfo).port;
    return {
      impl,
      port,
      url: `ws://127.0.0.1:${port}/`,
      closes,
      errors,
      connectionErrors,
      received,
      stats,
      connectionCount: () => open,
      waitCloses,
      server: wss,
      stop: () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => resolve());
        }),
    };
  }

  const engine = await import('../../src/engine/index.ts');
  // SWITCHBOARD_ACCEPT_PATH=http runs the same cases on Node's HTTP parser (the default standalone path is 'net').
  const acceptPath = process.env['SWITCHBOARD_ACCEPT_PATH'];
  const wss = new engine.WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    ...(acceptPath === 'http' || acceptPath === 'net' ? { acceptPath } : {}),
    ...options,
  });
  const address = await wss.listen();
  wss.on('error', (e: unknown) => errors.push(e));
  wss.on('connection', (ws: InstanceType<typeof engine.WebSocket>) => {
    ws.addEventListener('error', (e: unknown) => connectionErrors.push(e));
    const peer: Peer = {
      send: (d) => ws.send(d),
      bufferedAmount: () => ws.bufferedAmount,
      close: (c, r) => ws.close(c, r),
      terminate: () => ws.terminate(),
      ping: async (p) => {
        await ws.ping(p);
      },
    };
    const handle = makeHandler(peer, received, () => wss.clients.size, stats);
    ws.addEventListener('message', (ev: { data: unknown }) => {
      const data = ev.data;
      if (typeof data === 'string') handle(data, false);
      else if (Buffer.isBuffer(data)) handle(data, true);
      else if (data instanceof ArrayBuffer) handle(Buffer.from(data), true);
      else errors.push(new Error(`unexpected message data type ${Object.prototype.toString.call(data)}`));
    });
    ws.addEventListener('close', (ev: { code: number; reason: string; wasClean: boolean }) => {
      closes.push({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
    });
  });
  const port = address.port;
  return {
    impl,
    port,
    url: `ws://127.0.0.1:${port}/`,
    closes,
    errors,
    connectionErrors,
    received,
    stats,
    connectionCount: () => wss.clients.size,
    waitCloses,
    server: wss,
    stop: async () => {
      await wss.close({ timeoutMs: 500 });
    },
  };
}
