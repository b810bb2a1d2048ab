// Test helper: what the loopback test proxies share: a listener on a free port of 127.0.0.1, each accepted connection
// paired with one upstream connection (both ended when either ends), and a cut of every pair at once.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** An accepted connection and its upstream. */
export interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** The listener and the open pairs of one proxy. */
export class ProxyPairs implements Iterable<Pair> {
  readonly #server: net.Server;
  readonly #pairs = new Set<Pair>();
  /** The listening port (0 before `listen`). */
  port = 0;

  /** @param onConnection What the proxy does with each accepted connection. */
  constructor(onConnection: (client: net.Socket) => void) {
    this.#server = net.createServer(onConnection);
  }

  /** Starts listening on a free port. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  /** Open pairs. */
  get size(): number {
    return this.#pairs.size;
  }

  [Symbol.iterator](): Iterator<Pair> {
    return this.#pairs.values();
  }

  /**
   * Connects `client` to `127.0.0.1:targetPort` and keeps the pair until either side ends or errors.
   * @returns the pair, and `end` (destroys both sides once)
   */
  connect(client: net.Socket, targetPort: number): { pair: Pair; end: () => void } {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream };
    this.#pairs.add(pair);
    const end = (): void => {
      if (!this.#pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    return { pair, end };
  }

  /** Stops tracking a pair the proxy ends itself (it no longer counts in a cut). */
  forget(pair: Pair): void {
    this.#pairs.delete(pair);
  }

  /** Destroys every open pair on both sides at once (a network cut: no close frame, no FIN handshake). */
  cut(): number {
    const n = this.#pairs.size;
    for (const p of [...this.#pairs]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.#pairs.clear();
    return n;
  }

  /** Cuts every pair and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
