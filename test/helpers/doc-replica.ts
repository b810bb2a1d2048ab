// Test helper: a Yjs replica of a document over a raw protocol client (TestClient): answers the server's sync1,
// applies sync2 / update / awareness, and sends its own edits as `doc` messages. The reference client of the tests.
import { unpack } from 'msgpackr';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { TestClient } from './realtime.ts';

type Message = Record<string, unknown> & { type: string };

const LOCAL = Symbol('replica applying the server');

/** One client's copy of a document. */
export class DocReplica {
  readonly client: TestClient;
  readonly channel: string;
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  /** Errors the server answered with, in order. */
  readonly errors: Message[] = [];
  #synced = false;
  #waiters: (() => void)[] = [];
  /** Whether local edits are sent (false: offline edits wait for the next sync). */
  online = true;

  constructor(client: TestClient, channel: string) {
    this.client = client;
    this.channel = channel;
    client.ws.on('message', (data, isBinary) => {
      const value = (isBinary ? unpack(data as Buffer) : JSON.parse(String(data))) as Message;
      this.#onMessage(value);
    });
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL || !this.online) return;
      this.send('update', update);
    });
    this.awareness.on('update', ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin !== 'local') return;
      const changed = [...added!, ...updated!, ...removed!];
      this.send('awareness', awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
    });
  }

  /** The shared text. */
  get text(): string {
    return this.doc.getText('text').toString();
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Sends a doc message with raw bytes. */
  send(kind: string, bytes: Uint8Array, rid?: number): void {
    this.client.send({
      type: 'doc',
      channel: this.channel,
      kind,
      data: Buffer.from(bytes).toString('base64'),
      ...(rid === undefined ? {} : { rid }),
    });
  }

  /** Starts a sync: sends this replica's state vector (the server answers with what it lacks). */
  sync(): void {
    this.send('sync1', Y.encodeStateVector(this.doc));
  }

  /** Inserts text at `index` (clamped). */
  insert(index: number, text: string): void {
    const t = this.doc.getText('text');
    t.insert(Math.min(index, t.length), text);
  }

  /** Deletes up to `length` characters at `index` (clamped). */
  delete(index: number, length: number): void {
    const t = this.doc.getText('text');
    const at = Math.min(index, t.length);
    t.delete(at, Math.min(length, t.length - at));
  }

  /** Waits until `predicate` holds (checked after every message), or fails after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} not reached within ${timeoutMs} ms (text "${this.text.slice(0, 200)}")`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the server's sync2. */
  whenSynced(timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.#synced, timeoutMs, 'synced');
  }

  #onMessage(m: Message): void {
    if (m.type === 'error') this.errors.push(m);
    if (m.type === 'doc' && m['channel'] === this.channel) {
      const bytes = new Uint8Array(Buffer.from(m['data'] as string, 'base64'));
      switch (m['kind']) {
        case 'sync1':
          this.send('sync2', Y.encodeStateAsUpdate(this.doc, bytes));
          break;
        case 'sync2':
          Y.applyUpdate(this.doc, bytes, LOCAL);
          this.#synced = true;
          break;
        case 'update':
          Y.applyUpdate(this.doc, bytes, LOCAL);
          break;
        case 'awareness':
          awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, LOCAL);
          break;
      }
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Stops the awareness timer. */
  destroy(): void {
    this.awareness.destroy();
    this.doc.destroy();
  }
}

/**
 * Subscribes `client` to a document channel and starts the sync (both sides send sync1).
 * @returns The replica once the server's sync2 arrived.
 */
export async function openReplica(client: TestClient, channel: string, timeoutMs = 10_000): Promise<DocReplica> {
  const replica = new DocReplica(client, channel);
  const answer = await client.request({ type: 'subscribe', channel }, timeoutMs);
  if (answer.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(answer)}`);
  replica.sync();
  await replica.whenSynced(timeoutMs);
  return replica;
}
