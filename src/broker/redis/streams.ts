// Broker (Redis): a channel's stream: publish (idempotency, offset, XADD, expiries and PUBLISH in one script), history
// reads by position, the latest publication per key, and deletion, over the scripts of stream-scripts.ts.
import type { Redis } from 'ioredis';
import { checkCount, checkDuration, newEpoch } from '../checks.ts';
import type {
  DeleteOptions,
  DeleteResult,
  HistoryOptions,
  HistoryResult,
  LatestResult,
  Publication,
  PublishOptions,
  PublishResult,
} from '../types.ts';
import { channelKeys, packBody, unpackEntry, unpackLatest } from './keys.ts';
import { DELETE, HISTORY, LATEST, PUBLISH } from './stream-scripts.ts';

type Entry = [Buffer, Buffer[]];

/** What the stream operations need from their broker. */
export interface RedisStreamsDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly sharded: boolean;
  /** How long an idle channel keeps its epoch and offsets, in ms. */
  readonly channelTtlMs: number;
  /** Default deduplication window, in ms. */
  readonly idempotencyWindowMs: number;
  /** Runs one Redis call with the broker's checks (closed, in-flight cap) and error mapping. */
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
}

/** The history operations of {@link RedisBroker}; the broker checks it is open first. */
export class RedisStreams {
  readonly #deps: RedisStreamsDeps;

  /** @param deps The broker's connection, key prefix, limits and call wrapper. */
  constructor(deps: RedisStreamsDeps) {
    this.#deps = deps;
  }

  /** @see Broker.publish */
  async publish(channel: string, data: unknown, options: PublishOptions): Promise<PublishResult> {
    const historySize = checkCount(options.historySize, 'historySize');
    const historyTtlMs = checkDuration(options.historyTtlMs, 'historyTtlMs');
    const windowMs = Math.ceil(
      checkDuration(options.idempotencyWindowMs ?? this.#deps.idempotencyWindowMs, 'idempotencyWindowMs'),
    );
    const latestMaxKeys = checkCount(options.latestMaxKeys ?? 0, 'latestMaxKeys');
    const body = packBody(data, options.sender, options.id, options.exceptConnection, options.key);
    const keys = channelKeys(this.#deps.prefix, channel);
    const key = options.idempotencyKey;
    const reply = (await this.#deps.run('publish', () =>
      PUBLISH.run(
        this.#deps.redis,
        [keys.meta, keys.stream, key === undefined ? keys.meta : keys.idempotency(key)],
        [
          newEpoch(),
          body,
          historySize,
          Math.ceil(historyTtlMs),
          windowMs,
          key === undefined ? '0' : '1',
          keys.pubsub,
          this.#deps.sharded ? '1' : '0',
          Math.max(this.#deps.channelTtlMs, Math.ceil(historyTtlMs)),
          latestMaxKeys,
          options.key ?? '',
        ],
      ),
    )) as [number, ...Buffer[]];
    if (reply[0] === 1) {
      const [epoch, offset] = reply[1]!.toString().split(' ') as [string, string];
      return { epoch, offset: Number(offset), duplicate: true };
    }
    return { epoch: reply[1]!.toString(), offset: Number(reply[2]!.toString()), duplicate: false };
  }

  /** @see Broker.history */
  async history(channel: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const limit = options.limit === undefined ? -1 : checkCount(options.limit, 'limit');
    const before = options.before === undefined ? -1 : checkCount(options.before, 'before');
    const { since } = options;
    const sinceValid =
      since !== undefined &&
      typeof since === 'object' &&
      since !== null &&
      typeof since.epoch === 'string' &&
      Number.isSafeInteger(since.offset) &&
      since.offset >= 0;
    const mode = since === undefined ? 'latest' : 'since';
    const keys = channelKeys(this.#deps.prefix, channel);
    const reply = (await this.#deps.run('read history', () =>
      HISTORY.run(
        this.#deps.redis,
        [keys.meta, keys.stream],
        [
          newEpoch(),
          this.#deps.channelTtlMs,
          mode,
          sinceValid ? since.epoch : '',
          sinceValid ? since.offset : 0,
          before,
          since !== undefined && !sinceValid ? 0 : limit,
        ],
      ),
    )) as [Buffer, Buffer, number, Entry[]];
    const epoch = reply[0].toString();
    const offset = Number(reply[1].toString());
    if (since !== undefined && !sinceValid) return { epoch, offset, publications: [], recovered: false };
    const entries = mode === 'latest' ? [...reply[3]].reverse() : reply[3];
    const publications: Publication[] = entries.map((entry) => unpackEntry(channel, epoch, entry));
    return { epoch, offset, publications, recovered: mode === 'since' && reply[2] === 1 };
  }

  /** @see Broker.latest */
  async latest(channel: string, limit: number): Promise<LatestResult> {
    checkCount(limit, 'limit');
    const keys = channelKeys(this.#deps.prefix, channel);
    const reply = (await this.#deps.run('read the latest publications', () =>
      LATEST.run(this.#deps.redis, [keys.meta, keys.stream], [newEpoch(), this.#deps.channelTtlMs, limit]),
    )) as [Buffer, Buffer, Buffer[]];
    const epoch = reply[0].toString();
    const publications: Publication[] = [];
    for (const value of reply[2]) {
      const p = unpackLatest(channel, epoch, value);
      if (p !== null) publications.push(p);
    }
    publications.sort((a, b) => a.offset - b.offset);
    return { epoch, offset: Number(reply[1].toString()), publications };
  }

  /** @see Broker.deletePublication */
  async deletePublication(channel: string, offset: number, options: DeleteOptions = {}): Promise<DeleteResult> {
    checkCount(offset, 'offset');
    const keys = channelKeys(this.#deps.prefix, channel);
    const reply = (await this.#deps.run('delete a publication', () =>
      DELETE.run(
        this.#deps.redis,
        [keys.meta, keys.stream],
        [
          newEpoch(),
          this.#deps.channelTtlMs,
          offset,
          options.epoch ?? '',
          options.onlySender === undefined ? '0' : '1',
          options.onlySender ?? '',
          keys.pubsub,
          this.#deps.sharded ? '1' : '0',
        ],
      ),
    )) as [Buffer, Buffer];
    return { result: reply[0].toString() as DeleteResult['result'], epoch: reply[1].toString() };
  }
}
