// Test helper: a loopback TCP proxy that reads the HTTP/1.1 requests going through it and plays a corporate proxy
// that blocks WebSocket: it refuses the upgrade (403), or accepts it and then swallows every frame; it can also refuse
// chosen paths (the event stream) and cut every connection at once, like TcpProxy.
import type net from 'node:net';
import { ProxyPairs } from './proxy-pairs.ts';

/** What happens to a WebSocket upgrade: forwarded, refused with 403, or accepted and then silent both ways. */
export type WebSocketPolicy = 'pass' | 'refuse' | 'swallow';

const HEAD_END = Buffer.from('\r\n\r\n');
/** A request head longer than this is not HTTP we expect: the connection is dropped. */
const MAX_HEAD_BYTES = 64 * 1024;
const FORBIDDEN =
  'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nForbidden';

/** Requests seen, for assertions: method, path, and what the proxy did. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly action: 'forwarded' | 'refused' | 'swallowed';
}

/** The proxy. Change `websocket` and `blockedPaths` at any time; they apply to the next request. */
export class HttpBlockingProxy {
  readonly #pairs = new ProxyPairs((client) => this.#onConnection(client));
  readonly #targetPort: number;
  /** What the proxy does with WebSocket upgrades. */
  websocket: WebSocketPolicy = 'pass';
  /** Path prefixes answered with 403 (e.g. `/http/stream`). */
  readonly blockedPaths = new Set<string>();
  readonly seen: SeenRequest[] = [];
  port = 0;

  /** @param targetPort Where to forward. */
  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  async listen(): Promise<this> {
    await this.#pairs.listen();
    this.port = this.#pairs.port;
    return this;
  }

  /** Destroys every open connection on both sides at once. */
  cut(): number {
    return this.#pairs.cut();
  }

  async close(): Promise<void> {
    await this.#pairs.close();
  }

  #onConnection(client: net.Socket): void {
    const { pair, end } = this.#pairs.connect(client, this.#targetPort);
    const { upstream } = pair;
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    /** After an upgrade (or a body we cannot follow): bytes pass without being read as requests. */
    let opaque = false;
    /** A swallowed upgrade: the 101 answer goes back, then nothing more in either direction. */
    let swallow = false;
    let answerHead = Buffer.alloc(0);
    let answerDone = false;
    client.on('data', (chunk: Buffer) => {
      if (swallow) return;
      if (opaque) {
        upstream.write(chunk);
        return;
      }
      let data = chunk;
      while (data.length > 0 && !opaque && !swallow) {
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, data.length);
          upstream.write(data.subarray(0, n));
          bodyLeft -= n;
          data = data.subarray(n);
          continue;
        }
        head = Buffer.concat([head, data]);
        data = Buffer.alloc(0);
        const at = head.indexOf(HEAD_END);
        if (at === -1) {
          if (head.length > MAX_HEAD_BYTES) end();
          return;
        }
        const text = head.subarray(0, at).toString('latin1');
        data = head.subarray(at + HEAD_END.length);
        const raw = head.subarray(0, at + HEAD_END.length);
        head = Buffer.alloc(0);
        const [line = '', ...lines] = text.split('\r\n');
        const [method = '', target = ''] = line.split(' ');
        const path = target.split('?')[0] ?? '';
        const headers = new Map(
          lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
        );
        const upgrade = headers.get('upgrade')?.toLowerCase() === 'websocket';
        const blocked = [...this.blockedPaths].some((p) => path.startsWith(p));
        if (blocked || (upgrade && this.websocket === 'refuse')) {
          this.seen.push({ method, path, action: 'refused' });
          upstream.destroy();
          client.end(FORBIDDEN);
          this.#pairs.forget(pair);
          return;
        }
        upstream.write(raw);
        if (upgrade) {
          opaque = true;
          swallow = this.websocket === 'swallow';
          this.seen.push({ method, path, action: swallow ? 'swallowed' : 'forwarded' });
          if (!swallow && data.length > 0) upstream.write(data);
          return;
        }
        this.seen.push({ method, path, action: 'forwarded' });
        if (headers.has('transfer-encoding')) opaque = true;
        bodyLeft = Number(headers.get('content-length') ?? 0) || 0;
      }
      if (opaque && !swallow && data.length > 0) upstream.write(data);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallow) {
        client.write(chunk);
        return;
      }
      // Let the 101 answer through (the browser sees the WebSocket open), then drop every frame.
      if (answerDone) return;
      answerHead = Buffer.concat([answerHead, chunk]);
      const at = answerHead.indexOf(HEAD_END);
      if (at === -1) return;
      answerDone = true;
      client.write(answerHead.subarray(0, at + HEAD_END.length));
    });
  }
}

/** Starts a blocking proxy to `targetPort`, closed in `t.after`. */
export async function startBlockingProxy(
  t: { after(fn: () => Promise<void> | void): void },
  targetPort: number,
): Promise<HttpBlockingProxy> {
  const proxy = await new HttpBlockingProxy(targetPort).listen();
  t.after(() => proxy.close());
  return proxy;
}
