// Ingest: the options of the RabbitMQ source (`source: { kind: 'amqp', ... }` in the `ingest` config), validated with
// zod, and the headers a dead-lettered message carries.
import { z } from 'zod';

/** AMQP names (queue, exchange, routing key) are short strings of at most 255 bytes. */
const AMQP_NAME = z.string().min(1).max(255);

/** Options of an `amqp` source, as in the `ingest` config (`source: { kind: 'amqp', ... }`). */
export const amqpSourceOptionsSchema = z
  .strictObject({
    kind: z.literal('amqp'),
    /** Broker URL with credentials and vhost: `amqp://guest:guest@127.0.0.1:5672/`. */
    url: z
      .string()
      .regex(/^amqps?:\/\/[^/\s]+/, 'must be an amqp:// or amqps:// URL')
      .refine((url) => URL.canParse(url), 'is not a valid URL'),
    /** A durable queue to consume (declared if missing). With `exchange`, the name of the bound queue. */
    queue: AMQP_NAME.optional(),
    /** An exchange (declared durable if missing) bound to a durable queue named `queue` or after the connector. */
    exchange: z
      .strictObject({
        name: AMQP_NAME,
        type: z.enum(['fanout', 'topic', 'direct']),
        /** Routing keys or patterns to bind (`prices.#`); a fanout exchange ignores them. Default: `['#']`. */
        bindingKeys: z.array(z.string().max(255)).min(1).max(100).default(['#']),
      })
      .optional(),
    /**
     * Unacknowledged messages the broker may push ahead of the one being published: the memory bound of the source
     * and its throughput (the runner publishes one at a time, the prefetch hides the round trip). Default 100.
     */
    prefetch: z.number().int().min(1).max(65_535).default(100),
    /**
     * Exchange that poison messages are published to (with headers `x-switchboard-reason` and
     * `x-switchboard-connector`) before they are acked; declared as a durable fanout if missing. Without it a poison
     * message is rejected without requeue, which uses the queue's own dead-letter policy when it has one.
     */
    deadLetterExchange: AMQP_NAME.optional(),
    /** First reconnect delay after a lost connection, doubled per failed attempt. Default 500 ms. */
    reconnectInitialDelayMs: z.number().int().min(10).max(60_000).default(500),
    /** Upper bound of the reconnect delay, so a long outage is retried at least this often. Default 30 s. */
    reconnectMaxDelayMs: z.number().int().min(10).max(600_000).default(30_000),
    /** How often the queue's ready message count is read for `status().lag` (one `queue.declare` passive). Default 5 s. */
    lagIntervalMs: z.number().int().min(100).max(600_000).default(5_000),
  })
  .refine((o) => o.queue !== undefined || o.exchange !== undefined, {
    message: 'needs a queue, or an exchange to bind a queue to',
    path: ['queue'],
  })
  .refine((o) => o.reconnectMaxDelayMs >= o.reconnectInitialDelayMs, {
    message: 'must be at least reconnectInitialDelayMs',
    path: ['reconnectMaxDelayMs'],
  });

/** Parsed `amqp` source options (defaults applied). */
export type AmqpSourceOptions = z.output<typeof amqpSourceOptionsSchema>;

/** Header names that a dead-lettered message carries, so an operator can tell why and from where. */
export const AMQP_DEAD_LETTER_HEADERS = {
  reason: 'x-switchboard-reason',
  connector: 'x-switchboard-connector',
} as const;
