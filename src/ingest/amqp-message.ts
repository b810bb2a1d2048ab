// Ingest: one RabbitMQ message as the source reads and settles it: its position (message id or content hash),
// headers and timestamp, the confirmed publish of a poison message to the dead-letter exchange, and acks, nacks and
// rejects that never throw on a closed channel.
import { createHash } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

/**
 * An AMQP timestamp is POSIX seconds by the specification, but many producers put milliseconds there: a value above
 * this (in 5138 as seconds, 1973 as milliseconds) is read as milliseconds.
 */
const SECONDS_OR_MS_THRESHOLD = 100_000_000_000;

/** What settling a message needs: the channel it came on. */
export interface Settling {
  readonly channel: ConfirmChannel;
}

/** The message id when the producer set one, else a hash of routing key and body (stable across redeliveries). */
export function amqpPosition(msg: Pick<ConsumeMessage, 'fields' | 'properties' | 'content'>): string {
  const id: unknown = msg.properties.messageId;
  if (typeof id === 'string' && id !== '') return id;
  return createHash('sha256').update(msg.fields.routingKey).update('\n').update(msg.content).digest('hex');
}

/** A message's headers as text, names lower-cased. */
export function amqpHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] =
      typeof value === 'string'
        ? value
        : Buffer.isBuffer(value)
          ? value.toString('utf8')
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
  }
  return out;
}

/** A message's timestamp in ms, from seconds or milliseconds. */
export function amqpTimestamp(value: unknown): { timestamp?: number } {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return {};
  return { timestamp: value > SECONDS_OR_MS_THRESHOLD ? value : value * 1000 };
}

/** Publishes a copy of the message (its properties and extra headers, persistent) and waits for the confirm. */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  msg: ConsumeMessage,
  extraHeaders: Record<string, string>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish(
        exchange,
        msg.fields.routingKey,
        msg.content,
        {
          ...msg.properties,
          headers: { ...(msg.properties.headers ?? {}), ...extraHeaders },
          persistent: true,
        },
        (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    } catch (err) {
      reject(err);
    }
  });
}

// A settle on a channel that just closed throws; the broker has requeued the message with the channel, so it is
// redelivered and nothing is lost.
/** Acknowledges the message, quietly. */
export function ackQuietly(session: Settling, msg: ConsumeMessage): void {
  try {
    session.channel.ack(msg);
  } catch {}
}

/** Gives the message back to the queue (requeued), quietly. */
export function nackQuietly(session: Settling, msg: ConsumeMessage): void {
  try {
    session.channel.nack(msg, false, true);
  } catch {}
}

/** Rejects the message without requeue, quietly. */
export function rejectQuietly(session: Settling, msg: ConsumeMessage): void {
  try {
    session.channel.reject(msg, false);
  } catch {}
}
