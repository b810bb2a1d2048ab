// Test helper: a real node:http backend for the proxy, whose answer each test sets, and which records what it got
// (bodies, headers, whether the signature verified) and how many requests it served at once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../../src/integrations/index.ts';

/** One request as the backend received it. */
export interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly raw: string;
  readonly body: Record<string, unknown>;
  /** Whether `Switchboard-Signature` verified with the backend's secret. */
  readonly signed: boolean;
}

/** Writes the answer to one request (status, headers, body, delays are up to the test). */
export type Handler = (received: Received, res: http.ServerResponse) => void;

/** Answers 200 with a JSON body. */
export function json(res: http.ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export interface NodeBackend {
  readonly url: string;
  readonly received: Received[];
  /** The answer to the next requests; default `{}`. */
  handler: Handler;
  /** Requests being handled now, and the most seen at once. */
  readonly concurrency: { now: number; max: number };
  /** TCP connections accepted (keep-alive reuse keeps this low). */
  connections: number;
  close(): Promise<void>;
}

/**
 * Starts a backend on a free port.
 * @param secret the secret it verifies signatures with
 */
export async function startNodeBackend(secret: string | null = null): Promise<NodeBackend> {
  const backend: NodeBackend = {
    url: '',
    received: [],
    handler: (_received, res) => json(res, {}),
    concurrency: { now: 0, max: 0 },
    connections: 0,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const received: Received = {
        path: req.url ?? '',
        headers: req.headers,
        raw,
        body: JSON.parse(raw) as Record<string, unknown>,
        signed: secret !== null && verifySignature(secret, req.headers['switchboard-signature'] as string, raw).ok,
      };
      backend.received.push(received);
      backend.concurrency.now++;
      backend.concurrency.max = Math.max(backend.concurrency.max, backend.concurrency.now);
      res.on('close', () => backend.concurrency.now--);
      backend.handler(received, res);
    });
  });
  server.on('connection', () => backend.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(backend, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A caller as the hub builds it. */
export const ALICE = {
  client: 'c0ffee',
  user: 'alice',
  anonymous: false,
  roles: ['user'],
  info: { name: 'Alice' },
  remoteAddress: '127.0.0.1',
  transport: 'websocket',
} as const;
