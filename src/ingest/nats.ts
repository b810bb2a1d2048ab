// Ingest: NATS JetStream source. A durable pull consumer with explicit acknowledgement; position = stream sequence,
// lag = the consumer's pending count reported with each message. Reconnecting after a lost connection is the nats
// library's (unlimited attempts); the source only re-creates what a restarted server lost (stream, consumer).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  connect,
  type ConsumerMessages,
  DeliverPolicy,
  ErrorCode,
  headers as natsHeaders,
  type JetStreamClient,
  type JsMsg,
  nanos,
  type NatsConnection,
  NatsError,
} from 'nats';
import { z } from 'zod';
import type { Source, SourceMessage, SourceStatus } from './source.ts';

const subjectPattern = z
  .string({ error: 'expected a NATS subject' })
  .regex(/^[^\s.*>]+(\.[^\s.*>]+|\.\*)*(\.>)?$|^\*(\.[^\s.*>]+|\.\*)*(\.>)?$|^>$/, {
    error: 'expected a NATS subject (tokens separated by ".", wildcards * and a final >)',
  });
const natsName = z
  .string({ error: 'expected a name' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected 1-64 of A-Z a-z 0-9 _ -' });

/** Options of a `nats` source (the `source` object of an `ingest` entry). */
export const natsSourceOptionsSchema = z
  .strictObject({
    kind: z.literal('nats'),
    /** Server URL(s); credentials in the URL (`nats://user:pass@host:4222`) are used and never logged. */
    url: z
      .string({ error: 'expected a nats:// URL' })
      .regex(/^(nats|tls|ws|wss):\/\/\S+$/, { error: 'expected a nats:// URL' })
      .default('nats://127.0.0.1:4222'),
    /** The stream, created with `subjects` (file storage) when it does not exist. */
    stream: natsName,
    subjects: z.array(subjectPattern, { error: 'expected a list of subjects' }).min(1).max(64),
    /** The durable pull consumer, created with explicit acks when it does not exist. */
    durable: natsName.default('switchboard'),
    /** Where poison messages are published (JetStream when a stream captures it, else core NATS), then acknowledged. */
    deadLetterSubject: z
      .string({ error: 'expected a NATS subject' })
      .regex(/^[^\s*>]+$/, { error: 'expected a NATS subject without wildcards' })
      .optional(),
    /**
     * Messages the consumer hands out before their acknowledgements; 1 (the default) keeps source order even across
     * a crash: with a larger window, messages fetched by a killed process come back after `ackWaitMs`, behind newer ones.
     */
    maxAckPending: z.number().int().min(1).max(10_000).default(1),
    /**
     * How long the server waits for an acknowledgement before redelivering, in ms. 10 s: far past a publish (the
     * broker times out in 2 s), and what a restarted node waits for the message its killed predecessor held.
     */
    ackWaitMs: z.number().int().min(1000).max(3_600_000).default(10_000),
  })
  .refine(
    (o) => o.deadLetterSubject === undefined || !o.subjects.some((s) => subjectMatches(s, o.deadLetterSubject!)),
    {
      error: 'expected a subject outside subjects (dead letters would be consumed again)',
      path: ['deadLetterSubject'],
    },
  );
export type NatsSourceOptions = z.input<typeof natsSourceOptionsSchema>;

/** Each fetch waits this long for messages before asking again, in ms (also bounds a stall after a server restart). */
const FETCH_EXPIRES_MS = 5000;
/** Messages one pull request asks for; the server still hands out at most `maxAckPending` unacknowledged ones. */
const FETCH_BATCH = 256;
/** Waits between attempts to (re)connect or re-create the stream and consumer, in ms. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
/**
 * How long `close()` waits for the connection to drain (the last acknowledgements flushed) before closing it anyway.
 * A server that is down never answers a drain, and a shutdown must not hang on it: an unflushed acknowledgement only
 * means a redelivery, which the idempotency key turns into a counted duplicate.
 */
const DRAIN_TIMEOUT_MS = 3000;

/**
 * Whether a subject filter (`prices.>`, `prices.*.eu`) matches a subject.
 * @param filter Filter with `*` (one token) and a final `>` (one or more tokens).
 * @param subject A literal subject.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

class NatsSource implements Source {
  readonly kind = 'nats';
  readonly #o: z.output<typeof natsSourceOptionsSchema>;
  #deliver: ((m: SourceMessage) => Promise<void>) | null = null;
  #nc: NatsConnection | null = null;
  #state: SourceStatus['state'] = 'connecting';
  #lag: number | undefined;
  #lastError: string | undefined;
  #paused = false;
  #closed = false;
  #messages: ConsumerMessages | null = null;
  #wake: (() => void) | null = null;
  readonly #abort = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  readonly name: string;

  constructor(name: string, options: NatsSourceOptions) {
    this.name = name;
    this.#o = natsSourceOptionsSchema.parse(options);
  }

  async start(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    if (this.#deliver !== null) throw new Error(`nats source ${this.name} already started`);
    this.#deliver = deliver;
    this.#loop = this.#run();
  }

  pause(): void {
    this.#paused = true;
    this.#messages?.stop();
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#messages?.stop();
    this.#wake?.();
    await this.#loop;
    const nc = this.#nc;
    this.#nc = null;
    // drain flushes the acknowledgements of the last messages before the connection closes; bounded, because a
    // disconnected client (the server down, reconnecting forever) would wait for the server to come back.
    if (nc !== null && !nc.isClosed()) {
      const timer = new AbortController();
      await Promise.race([
        nc.drain().catch(() => {}),
        sleep(DRAIN_TIMEOUT_MS, undefined, { signal: timer.signal }).catch(() => {}),
      ]);
      timer.abort();
      if (!nc.isClosed()) await nc.close().catch(() => {});
    }
    this.#state = 'closed';
  }

  status(): SourceStatus {
    const state = this.#paused && (this.#state === 'running' || this.#state === 'paused') ? 'paused' : this.#state;
    return {
      state,
      ...(this.#lag === undefined ? {} : { lag: this.#lag }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  async #run(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.#closed) {
      try {
        const js = await this.#ready();
        if (this.#paused) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          this.#wake = null;
          continue;
        }
        const consumer = await js.consumers.get(this.#o.stream, this.#o.durable);
        const messages = await consumer.fetch({
          max_messages: Math.max(FETCH_BATCH, this.#o.maxAckPending),
          expires: FETCH_EXPIRES_MS,
        });
        this.#messages = messages;
        if (this.#state !== 'down') this.#state = 'running';
        for await (const m of messages) {
          if (this.#paused || this.#closed) {
            m.nak();
            continue;
          }
          this.#lag = m.info.pending;
          await this.#deliver!(this.#wrap(js, m));
        }
        this.#messages = null;
        delay = RETRY_MIN_MS;
      } catch (err) {
        this.#messages = null;
        if (this.#closed) break;
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#state = 'down';
        try {
          await sleep(delay, undefined, { signal: this.#abort.signal });
        } catch {
          break;
        }
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  /** Connects once (later reconnects are the library's), then makes sure the stream and the consumer exist. */
  async #ready(): Promise<JetStreamClient> {
    if (this.#nc === null) {
      const nc = await connect({
        servers: this.#o.url,
        name: `switchboard-ingest-${this.name}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
      });
      if (this.#closed) {
        await nc.close();
        throw new Error('closed');
      }
      this.#nc = nc;
      void this.#watch(nc);
      await this.#ensure(nc);
    }
    return this.#nc.jetstream();
  }

  async #ensure(nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(this.#o.stream);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add({ name: this.#o.stream, subjects: this.#o.subjects });
    }
    try {
      await jsm.consumers.info(this.#o.stream, this.#o.durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.consumers.add(this.#o.stream, {
        durable_name: this.#o.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: this.#o.maxAckPending,
        ack_wait: nanos(this.#o.ackWaitMs),
      });
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.#state = 'down';
        this.#lastError = 'disconnected from the NATS server';
      } else if (s.type === 'reconnect') {
        this.#state = 'running';
        // A restarted server without its store lost the stream or consumer: re-create them before the next fetch.
        this.#ensure(nc).catch((err: unknown) => {
          this.#lastError = err instanceof Error ? err.message : String(err);
        });
      }
    }
  }

  #wrap(js: JetStreamClient, m: JsMsg): SourceMessage {
    const hdrs: Record<string, string> = {};
    if (m.headers !== undefined) for (const [k, v] of m.headers) hdrs[k.toLowerCase()] = v[0] ?? '';
    const dead = this.#o.deadLetterSubject;
    const nc = this.#nc!;
    return {
      position: String(m.seq),
      subject: m.subject,
      payload: m.data,
      headers: hdrs,
      timestamp: Math.floor(m.info.timestampNanos / 1e6),
      ack: async () => {
        m.ack();
      },
      retry: async () => {
        m.nak();
      },
      deadLetter: async (reason: string) => {
        if (dead !== undefined) {
          const h = natsHeaders();
          if (m.headers !== undefined) for (const [k, v] of m.headers) for (const one of v) h.append(k, one);
          h.set('Switchboard-Reason', reason.slice(0, 512).replace(/[\r\n]/g, ' '));
          h.set('Switchboard-Subject', m.subject);
          h.set('Switchboard-Position', String(m.seq));
          try {
            await js.publish(dead, m.data, { headers: h });
          } catch (err) {
            // No stream captures the dead-letter subject: publish it on core NATS for whoever listens.
            if (!(err instanceof NatsError && err.code === ErrorCode.NoResponders)) throw err;
            nc.publish(dead, m.data, { headers: h });
          }
        }
        m.ack();
      },
    };
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof NatsError && (err.api_error?.code === 404 || /not found/i.test(err.message));
}

/**
 * Creates a NATS JetStream source.
 * @param name The connector's name.
 * @param options Validated or hand-written options ({@link natsSourceOptionsSchema}).
 * @returns The source; `start` begins connecting (retrying until the server answers).
 */
export function createNatsSource(name: string, options: NatsSourceOptions): Source {
  return new NatsSource(name, options);
}
