// Test helper: a tiny round-robin HTTP reverse proxy (node:http): each request goes to the next upstream, whatever
// connection it came on (no stickiness), and responses are streamed through unbuffered (event streams, long polls).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

/** A running proxy. */
export interface RoundRobinProxy {
  readonly base: string;
  /** Requests sent to each upstream, by index. */
  readonly counts: number[];
}

/**
 * Starts the proxy on a free loopback port; closed in `t.after`.
 * @param upstreams The upstream ports.
 */
export async function startRoundRobinProxy(t: TestContext, upstreams: readonly number[]): Promise<RoundRobinProxy> {
  const counts = upstreams.map(() => 0);
  const agent = new http.Agent({ keepAlive: true });
  let next = 0;
  const server = http.createServer((req, res) => {
    const index = next++ % upstreams.length;
    counts[index]!++;
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: upstreams[index],
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Unbuffered: every chunk goes out as it comes (an event stream's events, one by one).
        res.flushHeaders();
        answer.on('data', (chunk: Buffer) => res.write(chunk));
        answer.on('end', () => res.end());
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    // The client went away: so does the upstream request (a cut stream is cut on the node too).
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    agent.destroy();
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}
