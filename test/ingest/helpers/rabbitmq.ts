// Test helper: the shared RabbitMQ on 127.0.0.1:5672 (guest/guest). Each test uses names of its own and deletes
// them after; the server itself is never restarted (other tests use it), so a "server restart" is simulated by the
// server closing our connection (`rabbitmqctl close_connection`).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';

export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** A test's own connection for publishing and inspecting, plus the names it must clean up. */
export interface RabbitAdmin {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** A fresh name (`sb-test-<what>-<uuid>`), deleted as queue and exchange in `t.after`. */
  name(what: string): string;
  /** Publishes `bodies` to a queue (or an exchange with a routing key) and waits for the broker's confirms. */
  publish(
    target: { queue: string } | { exchange: string; routingKey: string },
    bodies: readonly { body: Buffer | string; messageId?: string }[],
  ): Promise<void>;
  /** Ready messages and consumers of a queue (`queue.declare` passive, on a throwaway channel). */
  check(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
}

export async function rabbitAdmin(t: Pick<TestContext, 'after'>): Promise<RabbitAdmin> {
  const connection = await connect(RABBITMQ_URL);
  connection.on('error', () => {});
  const channel = await connection.createConfirmChannel();
  const names: string[] = [];
  t.after(async () => {
    for (const n of names) {
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      await ch.deleteQueue(n).catch(() => {});
      await ch.deleteExchange(n).catch(() => {});
      await ch.close().catch(() => {});
    }
    await connection.close().catch(() => {});
  });
  return {
    connection,
    channel,
    name: (what) => {
      const n = `sb-test-${what}-${randomUUID()}`;
      names.push(n);
      return n;
    },
    publish: async (target, bodies) => {
      const batch = 500;
      for (let i = 0; i < bodies.length; i += batch) {
        for (const { body, messageId } of bodies.slice(i, i + batch)) {
          const content = typeof body === 'string' ? Buffer.from(body) : body;
          const options = { persistent: true, ...(messageId === undefined ? {} : { messageId }) };
          if ('queue' in target) channel.sendToQueue(target.queue, content, options);
          else channel.publish(target.exchange, target.routingKey, content, options);
        }
        await channel.waitForConfirms();
      }
    },
    check: async (queue) => {
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      try {
        const r = await ch.checkQueue(queue);
        return { messageCount: r.messageCount, consumerCount: r.consumerCount };
      } finally {
        await ch.close().catch(() => {});
      }
    },
  };
}

/**
 * Closes, from the server side, every connection whose `connection_name` client property is `connectionName`.
 * @returns how many were closed
 * @throws when rabbitmqctl is missing or refuses (the caller's test then fails: nothing is skipped)
 */
export function closeConnectionsNamed(connectionName: string): number {
  const list = spawnSync('rabbitmqctl', ['-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (list.status !== 0) throw new Error(`rabbitmqctl list_connections failed: ${list.stderr || list.error}`);
  let closed = 0;
  for (const line of list.stdout.split('\n')) {
    if (!line.includes(`"${connectionName}"`)) continue;
    const pid = line.split('\t')[0]!.trim();
    const r = spawnSync('rabbitmqctl', ['-q', 'close_connection', pid, 'test: server-side close'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`rabbitmqctl close_connection failed: ${r.stderr}`);
    closed++;
  }
  return closed;
}
