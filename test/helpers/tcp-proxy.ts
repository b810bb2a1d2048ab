// Test helper: a TCP proxy on 127.0.0.1 that can cut, stall, delay and refuse connections, for the client fault tests.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** A loopback TCP proxy in front of `127.0.0.1:targetPort`. */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<Pair>();
  #targetPort: number;
  #delayMs = 0;
  #stalled = false;
  #refusing = false;
  /** Accepted connection times (Date.now()), for reconnect-spread measurements. */
  readonly accepted: number[] = [];
  port = 0;

  /** @param targetPort Where to forward. */
  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = net.createServer((client) => this.#onConnection(client));
  }

  /** Starts listening on a free port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Forwards new connections elsewhere (a restarted server on another port). */
  retarget(port: number): void {
    this.#targetPort = port;
  }

  /** Open proxied connections. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Destroys every open connection on both sides at once (a network cut: no close frame, no FIN handshake). */
  cut(): number {
    const n = this.#pairs.size;
    for (const p of [...this.#pairs]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.#pairs.clear();
    return n;
  }

  /** While true, new connections are accepted and closed at once (the network is down). */
  refuse(on: boolean): void {
    this.#refusing = on;
  }

  /** While true, bytes are held in both directions (a black hole: the TCP stays open, nothing flows). */
  stall(on: boolean): void {
    this.#stalled = on;
    for (const p of this.#pairs) {
      if (on) {
        p.client.pause();
        p.upstream.pause();
      } else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  /** Adds a one-way delay to every chunk, in ms. */
  delay(ms: number): void {
    this.#delayMs = ms;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onConnection(client: net.Socket): void {
    this.accepted.push(Date.now());
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream };
    this.#pairs.add(pair);
    const end = (): void => {
      if (!this.#pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (this.#delayMs > 0) {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            if (!this.#stalled) from.resume();
          }, this.#delayMs);
        } else if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (!this.#stalled) from.resume();
          });
        }
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    if (this.#stalled) {
      client.pause();
      upstream.pause();
    }
  }
}

/** Starts a proxy to `targetPort`, closed in `t.after`. */
export async function startProxy(
  t: { after(fn: () => Promise<void> | void): void },
  targetPort: number,
): Promise<TcpProxy> {
  const proxy = await new TcpProxy(targetPort).listen();
  t.after(() => proxy.close());
  return proxy;
}
