// Test harness: a protocol client that reconnects through the proxy and resubscribes with `since`, from a chosen
// source address (so source-IP balancing spreads clients on loopback), and records every publication it gets.
import WebSocket from 'ws';
import { signToken } from '../../../src/realtime/index.ts';
import { CLUSTER_SECRET } from './nodes.ts';

type Message = Record<string, unknown> & { type: string };

/** A publication as received, with how it came (live or recovered after a reconnect). */
export interface Received {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly id: string | undefined;
  readonly data: unknown;
  readonly recovered: boolean;
}

/** Options of {@link ClusterClient}. */
export interface ClusterClientOptions {
  /** `ws://proxy/ws` */
  readonly url: string;
  readonly user: string;
  /** Source address of the TCP connection, e.g. 127.0.3.1 (nginx's ip_hash hashes the first three octets). */
  readonly localAddress?: string;
  /** Channels subscribed after every (re)connect, with `since` once a position is known. */
  readonly channels?: readonly string[];
  /** Ask for presence in subscriptions. @default false */
  readonly presence?: boolean;
  /** Reconnect when the connection closes without {@link ClusterClient.close}. @default true */
  readonly reconnect?: boolean;
  /** PEM certificate to trust for a `wss://` URL (the proxy's self-signed one). @default the system CAs */
  readonly ca?: string;
}

/** Signs a one-hour token for `user` with the cluster secret. */
export function clusterToken(user: string): Promise<string> {
  return signToken(
    { sub: user, roles: ['user'], ttlMs: 3_600_000, info: { name: user } },
    { type: 'secret', secret: CLUSTER_SECRET },
  );
}

/** The client. `start()` connects; every event is recorded for the test to check. */
export class ClusterClient {
  readonly options: ClusterClientOptions;
  /** Every publication received, in arrival order (recovered ones included). */
  readonly received: Received[] = [];
  /** Presence events received (join/leave), in order. */
  readonly presenceEvents: Message[] = [];
  /** Close codes of every connection that ended, in order. */
  readonly closeCodes: number[] = [];
  /** `subscribed` answers that said the gap could not be recovered. */
  unrecovered = 0;
  /** Completed reconnects (connected and resubscribed again). */
  reconnects = 0;
  /** Why the last reconnect attempt failed, for failure messages. */
  lastReconnectError = '';
  /** Reconnect loops that gave up (60 attempts). */
  failedReconnects = 0;
  /** Server-initiated `unsubscribed` messages (each answered by a resubscribe with `since`). */
  serverUnsubscribes = 0;
  readonly positions = new Map<string, { epoch: string; offset: number }>();
  #ws: WebSocket | null = null;
  #token = '';
  #rid = 0;
  #pending = new Map<number, (m: Message) => void>();
  #waiters = new Set<() => void>();
  #closedByUs = false;
  #reconnectOff = false;
  #reconnecting = false;
  #sinceSent = new Map<string, boolean>();
  #connected = false;
  #starts = 0;

  constructor(options: ClusterClientOptions) {
    this.options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connects, authenticates and subscribes; rejects if that fails within `timeoutMs`. */
  async start(timeoutMs = 10_000): Promise<void> {
    this.#token = await clusterToken(this.options.user);
    await this.#open(timeoutMs);
  }

  async #open(timeoutMs: number): Promise<void> {
    const ws = new WebSocket(this.options.url, ['switchboard.v1.json'], {
      headers: { Authorization: `Bearer ${this.#token}` },
      ...(this.options.localAddress === undefined ? {} : { localAddress: this.options.localAddress }),
      ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
      handshakeTimeout: timeoutMs,
    });
    this.#ws = ws;
    ws.on('message', (raw) => this.#onMessage(JSON.parse(String(raw)) as Message));
    ws.on('close', (code) => this.#onClose(ws, code));
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', (code) => reject(new Error(`closed during the handshake (${code})`)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    const connected = await this.request({ type: 'connect' }, timeoutMs);
    if (connected.type !== 'connected') throw new Error(`connect: ${JSON.stringify(connected)}`);
    for (const channel of this.options.channels ?? []) await this.#subscribe(channel, timeoutMs);
    this.#connected = true;
    if (this.#starts++ > 0) this.reconnects++;
    this.#wake();
  }

  async #subscribe(channel: string, timeoutMs: number): Promise<void> {
    const since = this.positions.get(channel);
    this.#sinceSent.set(channel, since !== undefined);
    const answer = await this.request(
      {
        type: 'subscribe',
        channel,
        ...(since === undefined ? {} : { since }),
        ...(this.options.presence === true ? { presence: true } : {}),
      },
      timeoutMs,
    );
    if (answer.type !== 'subscribed') throw new Error(`subscribe ${channel}: ${JSON.stringify(answer)}`);
  }

  /**
   * Applies a `subscribed` answer when its frame is read, not after the awaiting code resumes: a live publication in
   * the same TCP chunk is dispatched before any continuation runs, and must be recorded after the recovered ones.
   */
  #onSubscribed(m: Message): void {
    const channel = String(m['channel']);
    if (this.#sinceSent.get(channel) === true && m['recovered'] !== true) this.unrecovered++;
    for (const p of (m['publications'] as Message[] | undefined) ?? []) this.#record(p, true);
    const top = { epoch: String(m['epoch']), offset: Number(m['offset']) };
    const known = this.positions.get(channel);
    if (known === undefined || known.epoch !== top.epoch || known.offset < top.offset) this.positions.set(channel, top);
  }

  async #resubscribe(channel: string): Promise<void> {
    try {
      await this.#subscribe(channel, 5000);
    } catch {
      // the connection is going away: the reconnect resubscribes
    }
  }

  /** From now on a closed connection stays closed (a client that leaves for good when its node dies). */
  stopReconnecting(): void {
    this.#reconnectOff = true;
  }

  #record(p: Message, recovered: boolean): void {
    const r: Received = {
      channel: String(p['channel']),
      epoch: String(p['epoch']),
      offset: Number(p['offset']),
      id: typeof p['id'] === 'string' ? p['id'] : undefined,
      data: p['data'],
      recovered,
    };
    this.received.push(r);
    this.positions.set(r.channel, { epoch: r.epoch, offset: r.offset });
  }

  #onMessage(m: Message): void {
    if (m.type === 'subscribed') this.#onSubscribed(m);
    if (typeof m['re'] === 'number' && this.#pending.has(m['re'])) {
      const resolve = this.#pending.get(m['re'])!;
      this.#pending.delete(m['re']);
      resolve(m);
    } else if (m.type === 'publication') {
      this.#record(m, false);
    } else if (m.type === 'join' || m.type === 'leave') {
      this.presenceEvents.push(m);
    } else if (m.type === 'unsubscribed' && (this.options.channels ?? []).includes(String(m['channel']))) {
      // The server ended the subscription on its own: take it again from the last position (docs/protocol.md §7).
      this.serverUnsubscribes++;
      void this.#resubscribe(String(m['channel']));
    }
    this.#wake();
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#connected = false;
    this.closeCodes.push(code);
    for (const [, resolve] of this.#pending) resolve({ type: 'error', code: 'closed' });
    this.#pending.clear();
    this.#wake();
    // One reconnect loop at a time: a failed attempt's close lands here too and must not start another.
    if (!this.#closedByUs && !this.#reconnectOff && !this.#reconnecting && this.options.reconnect !== false)
      void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    this.#reconnecting = true;
    try {
      // Exponential backoff with full jitter, bounded: 100 ms doubling to 1 s, at most 60 attempts.
      for (let attempt = 0; attempt < 60 && !this.#closedByUs; attempt++) {
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 100 * 2 ** attempt)));
        if (this.#closedByUs) return;
        try {
          await this.#open(5000);
          if (this.#connected) return;
        } catch (err) {
          this.lastReconnectError = err instanceof Error ? err.message : String(err);
          this.#ws?.terminate();
        }
      }
      this.failedReconnects++;
    } finally {
      this.#reconnecting = false;
    }
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  /** Sends `message` with a fresh rid and resolves with its answer (an `error` with code `closed` if the connection ends). */
  request(message: Record<string, unknown>, timeoutMs = 5000): Promise<Message> {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return Promise.resolve({ type: 'error', code: 'closed' });
    const rid = ++this.#rid;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        resolve({ type: 'error', code: 'timeout' });
      }, timeoutMs);
      this.#pending.set(rid, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      ws.send(JSON.stringify({ ...message, rid }));
    });
  }

  /** Publishes with message id `id`: resolves `{ok: true, offset}` once acknowledged, else `{ok: false, code}`. */
  async publish(
    channel: string,
    data: unknown,
    id: string,
    timeoutMs = 5000,
  ): Promise<{ ok: true; offset: number; duplicate: boolean } | { ok: false; code: string }> {
    const answer = await this.request({ type: 'publish', channel, data, id }, timeoutMs);
    if (answer.type === 'reply') {
      const d = answer['data'] as { offset: number; duplicate: boolean };
      return { ok: true, offset: d.offset, duplicate: d.duplicate };
    }
    return { ok: false, code: String(answer['code']) };
  }

  /** Waits until `condition()` holds, re-checked on every event; throws after `timeoutMs` with `what`. */
  async until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.options.user}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.#waiters.delete(wake);
            resolve();
          },
          Math.min(left, 200),
        );
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.#closedByUs = true;
    this.#ws?.terminate();
  }
}

/**
 * Source addresses that spread over a proxy hashing by client address: 127.0.<i>.1 (nginx's ip_hash keys IPv4 on the
 * first three octets, so the third octet must vary; HAProxy hashes the whole address).
 */
export function sourceAddress(i: number): string {
  return `127.0.${i}.1`;
}
