// Ingest: the one contract every source of live data implements (NATS JetStream, RabbitMQ, Redis Streams, MQTT, the
// built-in demo generators). A source knows its system's client library and positions; the ingest runner
// (`runner.ts`) knows channels, codecs, the realtime server and acknowledgement order. Neither knows the other's side.

/**
 * One message taken from a source, not yet acknowledged. The runner decodes `payload`, picks the channel, publishes
 * through the realtime server (idempotency key = `position`), and only after the broker stored the publication (or
 * reported it a duplicate) calls `ack()`. A message that can never be published (undecodable, too large, no channel)
 * goes to `deadLetter(reason)`, which must also settle it at the source so the stream never blocks on it.
 */
export interface SourceMessage {
  /**
   * The message's position in its source, unique within the source and stable across redeliveries: a JetStream
   * stream sequence, a Redis stream entry id, a Kafka `partition:offset`, an AMQP message id (or a content hash when
   * it has none), an MQTT packet's content hash. Used as the idempotency key, so a redelivery is stored once.
   */
  readonly position: string;
  /** Where it came from in the source: NATS subject, AMQP routing key, stream key, MQTT topic. Channel templates read its tokens. */
  readonly subject: string;
  /** The raw payload, decoded by the mapping's codec. */
  readonly payload: Uint8Array;
  /** Headers or properties the source carries (NATS headers, AMQP headers, MQTT v5 user properties), lowercase keys. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The source's timestamp of the message in ms since the epoch, when it has one. */
  readonly timestamp?: number;
  /** Acknowledges (commits) the message at the source: called once the publication is stored. */
  ack(): Promise<void>;
  /**
   * Settles a message that can never be published: acknowledges it and, where the source has one, forwards it to
   * its dead-letter target (a NATS subject, an AMQP dead-letter exchange, a Redis stream). Must not throw for a
   * message the source already lost (the runner counts it either way).
   */
  deadLetter(reason: string): Promise<void>;
  /**
   * Gives the message back for redelivery (NAK, `basic.nack` with requeue, leaving a stream entry pending): used
   * when the broker refused the publish, so nothing is lost while the runner pauses.
   */
  retry(): Promise<void>;
}

/** What a source reports about itself in `/health` and the metrics. */
export interface SourceStatus {
  /** `connecting` until the first subscription is live, `paused` while the runner holds it, `down` after a failure it is retrying. */
  readonly state: 'connecting' | 'running' | 'paused' | 'down' | 'closed';
  /** Messages the source reports as not yet delivered to us, where it can tell (JetStream pending, stream lag, Kafka lag). */
  readonly lag?: number;
  /** The last error, message only (never credentials). */
  readonly lastError?: string;
}

/**
 * A source of messages. `start` connects and begins delivering to `deliver`, one message at a time per ordered
 * partition: the source does not hand over the next message of an ordered stream until `deliver`'s promise settled
 * (it may run several partitions or a prefetch window concurrently where order is per key or per partition).
 * `pause` stops fetching (in-flight messages still settle); `resume` fetches again. `close` stops, lets in-flight
 * acknowledgements finish, and releases the connection. Reconnecting after a lost connection is the source's job
 * (its client library's), reported through `status()`.
 */
export interface Source {
  /** The connector's configured name (unique per server), used in logs, metrics labels and `/health`. */
  readonly name: string;
  /** The kind of system: `nats`, `amqp`, `redis-stream`, `mqtt`, `demo`. */
  readonly kind: string;
  start(deliver: (message: SourceMessage) => Promise<void>): Promise<void>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  status(): SourceStatus;
}
