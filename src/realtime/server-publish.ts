// Realtime: a publication made by the server side (HTTP API, feeds), checked against its namespace, then announced.
import type { PublishResult } from '../broker/index.ts';
import type { JsonValue } from '../messages/index.ts';
import { emitPublication, type RealtimeEvents } from './events.ts';
import type { RealtimeServerOptions } from './hub-options.ts';
import { latestOptions } from './namespaces.ts';
import { InvalidPayloadError } from './payload-schema.ts';

/**
 * Publishes from the server side: no client permissions, but the namespace must exist and the payload fit its schema.
 * @param hub The hub's options (namespaces and broker).
 * @param events The hub's events (the namespace's webhook publications).
 * @param channel Channel name.
 * @param data Any JSON value.
 * @param options `id` for deduplication of retries (scoped to the server), `sender` to label it, `key` the feed key.
 * @returns Where it landed.
 * @throws {RangeError} For an invalid channel or an unknown namespace.
 * @throws {InvalidPayloadError} When `data` breaks the namespace's payload schema.
 * @throws {BrokerError} When the broker is unavailable.
 */
export async function publishFromServer(
  hub: Pick<RealtimeServerOptions, 'namespaces' | 'broker'>,
  events: RealtimeEvents,
  channel: string,
  data: JsonValue,
  options: { readonly id?: string; readonly sender?: string; readonly key?: string },
): Promise<PublishResult> {
  const resolved = hub.namespaces.resolve(channel);
  if (!resolved.ok)
    throw new RangeError(
      resolved.code === 'not_found' ? 'Cannot publish: unknown namespace' : 'Cannot publish: invalid channel name',
    );
  const invalid = resolved.validatePayload?.(data) ?? null;
  if (invalid !== null) throw new InvalidPayloadError(invalid);
  const result = await hub.broker.publish(channel, data, {
    historySize: resolved.config.historySize,
    historyTtlMs: resolved.config.historyTtlMs,
    ...(options.sender === undefined ? {} : { sender: options.sender }),
    ...(options.id === undefined ? {} : { id: options.id, idempotencyKey: `\u0000server\u0000${options.id}` }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...latestOptions(resolved.config),
  });
  emitPublication(events, resolved.config.webhookPublications, { channel, data, result, ...options });
  return result;
}
