// Test helper: a TCP proxy on 127.0.0.1 that can cut, stall, delay and refuse connections, for the client fault tests.
import type net from 'node:net';
import { ProxyPairs } from './proxy-pairs.ts';

/** A loopback TCP proxy in front of `127.0.0.1:targetPort`. */
export class TcpProxy {
  readonly #pairs = new ProxyPairs((client) => this.#onConnection(client));
  #targetPort: number;
  #delayMs = 0;
  #stalled = false;
  #refusing = false;
  #cutOnReply: ((chunk: Buffer) => boolean) | null = null;
  /** Accepted connection times (Date.now()), for reconnect-spread measurements. */
  readonly accepted: number[] = [];
  port = 0;

  /** @param targetPort Where to forward. */
  constructor(targetPort: number) {
    this.#targetPort = targetPort;
  }

  /** Starts listening on a free port. */
  async listen(): Promise<this> {
    await this.#pairs.listen();
    this.port = this.#pairs.port;
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
    return this.#pairs.cut();
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

  /**
   * The next chunk from the target that `match` accepts is dropped and every connection cut at once: the server did
   * the work, the answer is lost (a crash between doing and answering).
   * @returns Resolves when it happened.
   */
  cutOnReply(match: (chunk: Buffer) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#cutOnReply = (chunk) => {
        if (!match(chunk)) return false;
        this.#cutOnReply = null;
        this.cut();
        resolve();
        return true;
      };
    });
  }

  /** Adds a one-way delay to every chunk, in ms. */
  delay(ms: number): void {
    this.#delayMs = ms;
  }

  async close(): Promise<void> {
    await this.#pairs.close();
  }

  #onConnection(client: net.Socket): void {
    this.accepted.push(Date.now());
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    const { upstream } = this.#pairs.connect(client, this.#targetPort).pair;
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (from === upstream && this.#cutOnReply?.(chunk) === true) return;
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
