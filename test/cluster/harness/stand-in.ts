// Test harness: a stand-in upstream for the HTTP transport paths of docs/protocol.md section 15 (/sse, /http/stream,
// /http/poll, /http/send), to test what the proxy configs do with them: buffering, timeouts, forwarded headers.
// It speaks the wire shapes of section 15 (event stream, poll answers, 204 sends) without the protocol behind them.
// Several ports share one state, as nodes share sessions through the broker.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cleanup } from './process.ts';

/** What one stand-in port saw of a request. */
export interface Seen {
  readonly port: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
}

/** A running stand-in. */
export interface StandIn {
  /** The ports it listens on (one per pretend node), on 127.0.0.1. */
  readonly ports: readonly number[];
  /** Every request received, in order. */
  readonly seen: Seen[];
  /** Streams (/sse, /http/stream, /buffered) still open on the upstream side. */
  openStreams(): number;
  /** Ends every open stream (the upstream finishes its responses). */
  endStreams(): void;
}

/** Options of {@link startStandIn}. */
export interface StandInOptions {
  /** How many ports. @default 2 */
  readonly count?: number;
  /** How long a GET /http/poll is held without messages before it answers empty (the server's default is 25 s). */
  readonly pollHoldMs: number;
}

/** An SSE event line with one JSON data line. */
function event(data: unknown, name?: string): string {
  return `${name === undefined ? '' : `event: ${name}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Starts the stand-in. Routes:
 * - `GET /sse?channel=…`, `GET /http/stream`: `text/event-stream` **without** `X-Accel-Buffering` (so only the proxy
 *   config can make it unbuffered); /sse first sends `event: subscribed`, /http/stream `event: open` with a session
 *   id; every send is then one event on every open stream. `GET /buffered?accel=no|yes`: the same stream on a path the proxy buffers, with
 *   `X-Accel-Buffering: no` when `accel=no`.
 * - `POST /http/poll`: opens a session (`{"session","seq":0,"messages":[]}`); `GET /http/poll?session=…` is held until
 *   a send or `pollHoldMs`.
 * - `POST /http/send?session=…` (JSON array, `Content-Type: application/json`): 204, messages go to streams and polls;
 *   415 without the JSON content type.
 * - `GET /echo`: the request as seen (port, headers) in JSON; `GET /ready`, `/health`: 200.
 */
export async function startStandIn(t: Cleanup, options: StandInOptions): Promise<StandIn> {
  const seen: Seen[] = [];
  const streams = new Set<ServerResponse>();
  const polls = new Set<(messages: unknown[]) => void>();
  let seq = 0;
  let sessions = 0;

  const deliver = (messages: unknown[]): void => {
    for (const m of messages) for (const s of streams) s.write(event(m));
    for (const answer of [...polls]) answer(messages);
  };

  const openStream = (res: ServerResponse, headers: Record<string, string>): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', ...headers });
    // Node holds the head until the first body write; a stream may stay silent until the first event.
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
  };

  const handle = (port: number, req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    seen.push({ port, method: req.method ?? '', path: url.pathname, headers: req.headers });
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /ready' || route === 'GET /health') json(200, { status: 'ok' });
    else if (route === 'GET /echo') json(200, { port, headers: req.headers });
    else if (route === 'GET /sse') {
      // As the server does, a subscribed event at once (docs/protocol.md 15.4).
      openStream(res, {});
      res.write(event({ channel: url.searchParams.get('channel'), recovered: true }, 'subscribed'));
    } else if (route === 'GET /http/stream') {
      openStream(res, {});
      res.write(event({ session: `n${port}.s${++sessions}` }, 'open'));
    } else if (route === 'GET /buffered')
      openStream(res, url.searchParams.get('accel') === 'no' ? { 'x-accel-buffering': 'no' } : {});
    else if (route === 'POST /http/poll') json(200, { session: `n${port}.s${++sessions}`, seq: 0, messages: [] });
    else if (route === 'GET /http/poll') {
      const answer = (messages: unknown[]): void => {
        clearTimeout(timer);
        polls.delete(answer);
        seq += messages.length;
        json(200, { seq, messages });
      };
      const timer = setTimeout(() => answer([]), options.pollHoldMs);
      polls.add(answer);
      req.on('close', () => {
        clearTimeout(timer);
        polls.delete(answer);
      });
    } else if (route === 'POST /http/send') {
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        json(415, { error: 'unsupported_media_type' });
        return;
      }
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        res.writeHead(204).end();
        deliver(JSON.parse(body) as unknown[]);
      });
    } else json(404, { error: 'not_found' });
  };

  const servers: Server[] = [];
  for (let i = 0; i < (options.count ?? 2); i++) {
    const server = createServer((req, res) => handle((server.address() as AddressInfo).port, req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  t.after(async () => {
    for (const s of streams) s.destroy();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  return {
    ports: servers.map((s) => (s.address() as AddressInfo).port),
    seen,
    openStreams: () => streams.size,
    endStreams: () => {
      for (const s of streams) s.end();
    },
  };
}
