// CLI: the load of `switchboard bench`: N SDK clients subscribed to one channel, P of them publishing at a total rate.
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Client, ClientError, JSON_SUBPROTOCOL } from '../client/index.ts';
import { connect, createWebSocket, type ClientOptions as EngineOptions } from '../engine/index.ts';
import type { JsonValue } from '../messages/index.ts';
import { Histogram } from './bench-histogram.ts';

/** What to run; checked by the command's argument parser. */
export interface LoadOptions {
  readonly url: string;
  readonly clients: number;
  readonly publishers: number;
  /** Messages per second, all publishers together. */
  readonly rate: number;
  /** Bytes of padding in each payload. */
  readonly size: number;
  readonly durationMs: number;
  readonly channel: string;
  readonly token?: string | undefined;
  /** Time allowed after the last publish for acks and deliveries still on their way. */
  readonly drainMs: number;
  /** Engine options for every socket (TLS). */
  readonly socket: EngineOptions;
  /** Local addresses the clients connect from, in turn ([] for the system's choice). */
  readonly localAddresses: readonly string[];
  /** Called once a second while publishing. */
  readonly onProgress?: ((progress: Progress) => void) | undefined;
}

/** The live counters, as the progress line shows them. */
export interface Progress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly acked: number;
  readonly received: number;
  readonly errors: number;
  readonly disconnects: number;
  /** Over the last second; null when nothing was delivered in it. */
  readonly p50: number | null;
  readonly p99: number | null;
}

/** The outcome of a run. */
export interface LoadResult {
  readonly connected: number;
  readonly connectFailures: number;
  /** Clients still subscribed at the end: the subscribers every message was expected at. */
  readonly subscribers: number;
  readonly sent: number;
  readonly acked: number;
  /** Publishes the SDK sent again, same id (after a retryable refusal such as `rate_limited`, or a timeout). */
  readonly resent: number;
  readonly received: number;
  /** For each acknowledged message, the subscribers connected when its ack arrived, summed. */
  readonly expected: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly disconnects: number;
  readonly publishMs: number;
  readonly latency: Histogram;
}

/** The connection attempt before the run: no client is started against a target that cannot answer. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** Connections opened at once while starting, so the server's accept queue and per-address rate are not flooded. */
const CONNECT_CONCURRENCY = 20;
/** Publishing timer period: the rate is met on average, in bursts of at most rate/100 messages. */
const TICK_MS = 10;

interface Payload {
  readonly r: string;
  readonly s: number;
  readonly t: number;
  readonly p: string;
}

function isOurs(data: unknown, run: string): data is Payload {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { r?: unknown }).r === run &&
    typeof (data as { t?: unknown }).t === 'number'
  );
}

function codeOf(err: unknown): string {
  if (err instanceof ClientError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/**
 * Runs the load: connects and subscribes every client, publishes for the duration, waits for what
 * is still on its way (bounded by `drainMs`), closes every client.
 * @throws {UnreachableError} when the first connection attempt fails (nothing is started)
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  await probe(opts);
  const run = randomUUID();
  const latency = new Histogram();
  const window = new Histogram();
  const errors: Record<string, number> = {};
  const fail = (code: string): void => {
    errors[code] = (errors[code] ?? 0) + 1;
  };
  let stopping = false;
  let disconnects = 0;
  let received = 0;
  /** Clients subscribed and still connected. */
  let live = 0;

  const clients: Client[] = [];
  let connectFailures = 0;
  let started = 0;
  const start = async (): Promise<void> => {
    const from =
      opts.localAddresses.length === 0
        ? {}
        : { localAddress: opts.localAddresses[started % opts.localAddresses.length]! };
    started++;
    const transport = (url: string, protocols: string[]) =>
      createWebSocket(url, { ...opts.socket, ...from, protocols });
    const client = new Client({
      url: opts.url,
      transport,
      reconnect: false,
      breaker: false,
      name: 'switchboard-bench',
      ...(opts.token === undefined ? {} : { token: opts.token }),
    });
    client.on('publication', (p) => {
      if (p.channel !== opts.channel || !isOurs(p.data, run)) return;
      received++;
      const ms = performance.now() - p.data.t;
      latency.record(ms);
      window.record(ms);
    });
    client.on('error', (e) => fail(e.code));
    let joined = false;
    client.on('statechange', (change) => {
      if (change.state === 'closed' && joined && !stopping) {
        disconnects++;
        live--;
      }
    });
    try {
      await client.connect();
      await client.subscribe(opts.channel);
      joined = true;
      live++;
      clients.push(client);
    } catch (err) {
      connectFailures++;
      fail(codeOf(err));
      client.close();
    }
  };
  for (let i = 0; i < opts.clients; i += CONNECT_CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, opts.clients - i) }, start));
  }

  const publishers = clients.slice(0, opts.publishers);
  const padding = 'x'.repeat(opts.size);
  let sent = 0;
  let acked = 0;
  let settled = 0;
  let expected = 0;
  const began = performance.now();
  let publishMs = 0;
  if (publishers.length > 0) {
    const progress = setInterval(() => {
      opts.onProgress?.({
        elapsedMs: performance.now() - began,
        sent,
        acked,
        received,
        disconnects,
        errors: Object.values(errors).reduce((a, b) => a + b, 0),
        p50: window.quantile(0.5),
        p99: window.quantile(0.99),
      });
      window.reset();
    }, 1000);
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = performance.now() - began;
        const due = Math.floor((Math.min(elapsed, opts.durationMs) / 1000) * opts.rate);
        while (sent < due) {
          const client = publishers[sent % publishers.length]!;
          const data: Payload = { r: run, s: sent, t: performance.now(), p: padding };
          sent++;
          client.publish(opts.channel, data as unknown as JsonValue).then(
            () => {
              acked++;
              settled++;
              expected += live;
            },
            (err: unknown) => {
              settled++;
              fail(codeOf(err));
            },
          );
        }
        if (elapsed >= opts.durationMs) {
          clearInterval(tick);
          resolve();
        }
      }, TICK_MS);
    });
    publishMs = performance.now() - began;
    // What is still on its way: acks, then the deliveries of every acked message to every subscriber.
    const drainUntil = performance.now() + opts.drainMs;
    while (performance.now() < drainUntil) {
      if (settled === sent && received >= expected) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    clearInterval(progress);
  }
  stopping = true;
  const subscribers = clients.filter((c) => c.state === 'connected').length;
  const resent = clients.reduce((sum, c) => sum + c.metrics.resent, 0);
  for (const client of clients) client.close(1000, 'bench done');
  return {
    connected: clients.length,
    connectFailures,
    subscribers,
    sent,
    acked,
    resent,
    received,
    expected,
    errors,
    disconnects,
    publishMs,
    latency,
  };
}

/** One WebSocket handshake with the application subprotocol, so a wrong URL fails with its real cause. */
async function probe(opts: LoadOptions): Promise<void> {
  try {
    const from = opts.localAddresses.length === 0 ? {} : { localAddress: opts.localAddresses[0]! };
    const ws = await connect(opts.url, { ...opts.socket, ...from, protocols: [JSON_SUBPROTOCOL] });
    // Closed before the clients start, so it takes no place under the server's per-address limit.
    const closed = new Promise((resolve) => ws.addEventListener('close', resolve, { once: true }));
    ws.close(1000);
    await closed;
  } catch (err) {
    throw new UnreachableError(`cannot open ${opts.url}: ${(err as Error).message}`, { cause: err });
  }
}
