// Ingest: the RabbitMQ source (amqplib). Consumes a durable queue, or a durable queue named after the connector and
// bound to an exchange, with manual acknowledgements: a message is acked only once the runner says the publication
// is stored. amqplib does not re-open channels or consumers after a lost connection, so this file reconnects itself
// (with backoff) and declares the topology again each time.
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { z } from 'zod';
import {
  ackQuietly,
  amqpHeaders,
  amqpPosition,
  amqpTimestamp,
  nackQuietly,
  publishConfirmed,
  rejectQuietly,
} from './amqp-message.ts';
import { AMQP_DEAD_LETTER_HEADERS, type AmqpSourceOptions, amqpSourceOptionsSchema } from './amqp-options.ts';
import { reconnectDelayMs, sleep } from './reconnect-delay.ts';
import type { Source, SourceMessage, SourceStatus } from './source.ts';

/**
 * Creates a RabbitMQ source. Nothing connects until `start`.
 * @param name The connector's name; also the bound queue's name when `exchange` is set without `queue`.
 * @param options `amqp` options (validated here; invalid ones throw a ZodError naming the field).
 */
export function createAmqpSource(name: string, options: z.input<typeof amqpSourceOptionsSchema>): Source {
  return new AmqpSource(name, amqpSourceOptionsSchema.parse(options));
}

/** One live connection and channel; replaced as a whole after any failure. */
interface Session {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  consumerTag: string | null;
  /** Messages received and not yet handed to `deliver`, in queue order. */
  readonly buffer: ConsumeMessage[];
  /** A message was given back: nothing is handed over until the messages after it are back in the queue too. */
  rewinding: boolean;
}

class AmqpSource implements Source {
  readonly kind = 'amqp';
  private readonly queue: string;
  private deliver: ((message: SourceMessage) => Promise<void>) | null = null;
  private session: Session | null = null;
  private paused = false;
  private closed = false;
  private connectedOnce = false;
  private lastError: string | undefined;
  private lag: number | undefined;
  private pumping: Promise<void> | null = null;
  /** Consumer start and stop, one at a time, so a quick pause/resume cannot leave two consumers. */
  private consumerOps: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  readonly name: string;
  private readonly options: AmqpSourceOptions;

  constructor(name: string, options: AmqpSourceOptions) {
    this.name = name;
    this.options = options;
    this.queue = options.queue ?? name;
  }

  async start(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    if (this.deliver !== null) throw new Error(`Ingest source "${this.name}" is already started`);
    this.deliver = deliver;
    let firstAttempt!: () => void;
    const attempted = new Promise<void>((resolve) => {
      firstAttempt = resolve;
    });
    this.loop = this.run(firstAttempt);
    await attempted;
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.syncConsumer();
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.syncConsumer();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const session = this.session;
    if (session !== null && session.consumerTag !== null) {
      await session.channel.cancel(session.consumerTag).catch(() => {});
    }
    // The message being published finishes and is acked; the buffered rest goes back to the queue with the channel.
    await this.pumping;
    await session?.connection.close().catch(() => {});
    await this.loop;
  }

  status(): SourceStatus {
    const state: SourceStatus['state'] = this.closed
      ? 'closed'
      : this.session === null
        ? this.connectedOnce || this.lastError !== undefined
          ? 'down'
          : 'connecting'
        : this.paused
          ? 'paused'
          : 'running';
    return {
      state,
      ...(this.lag === undefined ? {} : { lag: this.lag }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Connects, consumes until the connection or channel is lost, and starts over with backoff until closed. */
  private async run(firstAttempt: () => void): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      let connected = false;
      try {
        await this.connectOnce(() => {
          connected = true;
          attempt = 0;
          firstAttempt();
        });
      } catch (err) {
        this.lastError = errorMessage(err);
      }
      firstAttempt();
      if (this.closed) break;
      if (!connected) attempt++;
      await sleep(
        reconnectDelayMs(attempt, this.options.reconnectInitialDelayMs, this.options.reconnectMaxDelayMs),
        this.abort.signal,
      );
    }
  }

  /** One connection's life: declare, consume, and wait until it ends (resolves) or fails to set up (throws). */
  private async connectOnce(onReady: () => void): Promise<void> {
    const connection = await connect(this.options.url, {
      clientProperties: { connection_name: `switchboard-ingest:${this.name}` },
    });
    let lost!: (err?: Error) => void;
    const ended = new Promise<Error | undefined>((resolve) => {
      lost = resolve;
    });
    connection.on('error', () => {});
    connection.once('close', (err?: Error) => lost(err ?? new Error('connection closed')));
    let session: Session | null = null;
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      channel.once('close', () => lost(new Error('channel closed')));
      await this.declare(channel);
      await channel.prefetch(this.options.prefetch);
      if (this.closed) return;
      session = { connection, channel, consumerTag: null, buffer: [], rewinding: false };
      this.session = session;
      this.connectedOnce = true;
      this.lastError = undefined;
      this.syncConsumer();
      onReady();
      const lagTimer = setInterval(() => void this.readLag(session!), this.options.lagIntervalMs);
      void this.readLag(session);
      const err = await ended;
      clearInterval(lagTimer);
      if (!this.closed && err !== undefined) this.lastError = errorMessage(err);
    } finally {
      if (session !== null) session.buffer.length = 0;
      if (this.session === session) this.session = null;
      await connection.close().catch(() => {});
    }
  }

  private async declare(channel: ConfirmChannel): Promise<void> {
    const { exchange, deadLetterExchange } = this.options;
    await channel.assertQueue(this.queue, { durable: true });
    if (exchange !== undefined) {
      await channel.assertExchange(exchange.name, exchange.type, { durable: true });
      for (const key of exchange.type === 'fanout' ? [''] : exchange.bindingKeys) {
        await channel.bindQueue(this.queue, exchange.name, key);
      }
    }
    if (deadLetterExchange !== undefined) await channel.assertExchange(deadLetterExchange, 'fanout', { durable: true });
  }

  /** Starts or cancels the consumer of the current session to match `paused`, one operation at a time. */
  private syncConsumer(): void {
    this.consumerOps = this.consumerOps.then(async () => {
      const session = this.session;
      if (session === null || this.session !== session) return;
      try {
        if ((this.paused || this.closed) && session.consumerTag !== null) {
          const tag = session.consumerTag;
          session.consumerTag = null;
          await session.channel.cancel(tag);
          this.requeueBuffer(session);
        } else if (!this.paused && !this.closed && session.consumerTag === null) {
          const reply = await session.channel.consume(this.queue, (msg) => this.onMessage(session, msg), {
            noAck: false,
          });
          session.consumerTag = reply.consumerTag;
        }
      } catch (err) {
        // The channel is gone: the connection loop reconnects and consumes again.
        this.lastError = errorMessage(err);
      }
    });
  }

  private onMessage(session: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): start over, which declares the queue again.
      void session.connection.close().catch(() => {});
      return;
    }
    if (this.paused || this.closed) {
      // Arrived after basic.cancel: back to its place in the queue.
      nackQuietly(session, msg);
      return;
    }
    session.buffer.push(msg);
    this.kick(session);
  }

  /** Starts handing buffered messages over unless that is already going on or cannot go on now. */
  private kick(session: Session): void {
    if (this.pumping !== null || !this.canHandOver(session)) return;
    const pumping = this.pump(session).finally(() => {
      if (this.pumping === pumping) this.pumping = null;
      this.kick(session);
    });
    this.pumping = pumping;
  }

  /** Hands buffered messages to `deliver` one at a time, in queue order. */
  private async pump(session: Session): Promise<void> {
    while (this.canHandOver(session)) {
      await this.handOver(session, session.buffer.shift()!);
    }
  }

  private canHandOver(session: Session): boolean {
    return !this.paused && !this.closed && this.session === session && !session.rewinding && session.buffer.length > 0;
  }

  /**
   * After a message went back to the queue, the ones the broker already pushed behind it must go back too, or they
   * would overtake it. Deliveries can still be on the wire, so the consumer is cancelled first: once the broker
   * confirmed the cancel, nothing more arrives, the whole buffer is requeued (RabbitMQ puts requeued messages back at
   * their original place) and a new consumer starts from the retried message.
   */
  private rewind(session: Session): void {
    session.rewinding = true;
    this.consumerOps = this.consumerOps.then(async () => {
      try {
        if (this.session === session && session.consumerTag !== null) {
          const tag = session.consumerTag;
          session.consumerTag = null;
          await session.channel.cancel(tag);
        }
      } catch (err) {
        this.lastError = errorMessage(err);
      } finally {
        this.requeueBuffer(session);
        session.rewinding = false;
      }
    });
    this.syncConsumer();
  }

  private async handOver(session: Session, msg: ConsumeMessage): Promise<void> {
    let settled = false;
    const usable = (): boolean => {
      if (settled) return false;
      settled = true;
      return this.session === session;
    };
    const retry = async (): Promise<void> => {
      if (!usable()) return;
      // Back to the queue, and everything received after it too, so the queue order holds on redelivery.
      nackQuietly(session, msg);
      this.rewind(session);
    };
    const message: SourceMessage = {
      position: amqpPosition(msg),
      subject: msg.fields.routingKey,
      payload: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength),
      headers: amqpHeaders(msg.properties.headers),
      ...amqpTimestamp(msg.properties.timestamp),
      ack: async () => {
        // On a lost channel the broker already requeued the message: its redelivery is deduplicated downstream.
        if (usable()) ackQuietly(session, msg);
      },
      retry,
      deadLetter: async (reason) => {
        if (!usable()) return;
        const exchange = this.options.deadLetterExchange;
        if (exchange === undefined) {
          rejectQuietly(session, msg);
          return;
        }
        try {
          await publishConfirmed(session.channel, exchange, msg, {
            [AMQP_DEAD_LETTER_HEADERS.reason]: reason,
            [AMQP_DEAD_LETTER_HEADERS.connector]: this.name,
          });
          ackQuietly(session, msg);
        } catch {
          // Not confirmed: back to the queue, to be dead-lettered again when it comes back.
          nackQuietly(session, msg);
        }
      },
    };
    try {
      await this.deliver!(message);
    } catch {
      // The runner failed without settling the message: give it back rather than hold a prefetch slot forever.
    }
    if (!settled) await retry();
  }

  private requeueBuffer(session: Session): void {
    for (const msg of session.buffer.splice(0)) nackQuietly(session, msg);
  }

  private async readLag(session: Session): Promise<void> {
    if (this.session !== session) return;
    try {
      this.lag = (await session.channel.checkQueue(this.queue)).messageCount;
    } catch {
      // Channel lost between two reads: the next session reads it again.
    }
  }
}

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Never echo credentials from a URL in an error message.
  return text.replace(/\/\/[^@/\s]*@/g, '//***@');
}
