// Test helper: a real HTTP receiver of webhook batches on a loopback port, whose behaviour the test scripts per request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { verifyWebhook, type WebhookEvent } from '../../src/integrations/index.ts';

/** What the receiver does with one request. */
export type Reply = 'ok' | 'fail500' | 'hang';

/** A running receiver. */
export interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Verified batches, in arrival order (a retried batch appears again). */
  readonly batches: WebhookEvent[][];
  /** Requests whose signature did not verify, with the reason. */
  readonly refused: string[];
  /** Decides the reply to request number `n` (0-based). @default always 'ok' */
  reply: (n: number) => Reply;
  /** Every event id delivered with a 2xx, in order, without the retries' repeats. */
  delivered(): string[];
  /** Stops listening (the port refuses connections) and ends hung requests. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * Starts a receiver that verifies every request with `verifyWebhook` and answers per `reply`.
 * @param t Stops it in `t.after`.
 * @param secret The endpoint's secret.
 */
export async function startReceiver(t: Pick<TestContext, 'after'>, secret: string): Promise<Receiver> {
  const batches: WebhookEvent[][] = [];
  const acknowledged: WebhookEvent[][] = [];
  const refused: string[] = [];
  const hung = new Set<http.ServerResponse>();
  let requests = 0;
  let port = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let events: WebhookEvent[];
      try {
        events = verifyWebhook(secret, req.headers, body);
      } catch (err) {
        refused.push((err as { reason?: string }).reason ?? 'unknown');
        res.writeHead(401).end();
        return;
      }
      batches.push(events);
      const reply = receiver.reply(requests++);
      if (reply === 'hang') {
        hung.add(res);
        return;
      }
      if (reply === 'fail500') {
        res.writeHead(500).end();
        return;
      }
      acknowledged.push(events);
      res.writeHead(204).end();
    });
  });
  const listen = (): Promise<void> => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen();
  port = (server.address() as AddressInfo).port;
  const stop = async (): Promise<void> => {
    for (const res of hung) res.destroy();
    hung.clear();
    server.closeAllConnections();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    batches,
    refused,
    reply: () => 'ok',
    delivered: () => {
      const seen = new Set<string>();
      const ids: string[] = [];
      for (const batch of acknowledged)
        for (const e of batch) {
          if (seen.has(e.id)) continue;
          seen.add(e.id);
          ids.push(e.id);
        }
      return ids;
    },
    stop,
    start: listen,
  };
  t.after(stop);
  return receiver;
}
