// HTTP: batch publish (`POST /api/publish` with a JSON array): each item checked and published on its own, in order,
// with its own idempotency id and result, so one bad item never sinks the others (a Kafka Connect HTTP sink, a backend
// flushing a queue).
import { BrokerError } from '../broker/index.ts';
import { isValidChannelName, type JsonValue } from '../messages/index.ts';
import { InvalidPayloadError, type RealtimeServer } from '../realtime/index.ts';

/**
 * Default largest batch: 100 items keeps one request's publishing time short (each item is one broker write)
 * while saving most of the per-request overhead.
 */
export const DEFAULT_MAX_BATCH_ITEMS = 100;

/** The fields an item (and a single publish) may carry. */
const ITEM_FIELDS: readonly string[] = ['channel', 'data', 'id', 'key'];
/** Idempotency ids and feed keys: 1-128 printable ASCII characters without spaces, as for a single publish. */
const TOKEN = /^[\x21-\x7e]{1,128}$/;

/** One item's outcome, at its index in the answer. */
export type BatchItemResult =
  | { readonly ok: true; readonly epoch: string; readonly offset: number; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A batch answer (structurally the API's `JsonAnswer`). */
export interface BatchAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const refuse = (code: string, message: string): BatchItemResult => ({ ok: false, error: { code, message } });

/**
 * Checks one item: an object with only `channel`, `data`, `id?`, `key?`, a valid channel name, data present.
 * @returns The publish arguments, or the item's error.
 */
export function checkBatchItem(
  item: unknown,
):
  | { readonly channel: string; readonly data: JsonValue; readonly id?: string; readonly key?: string }
  | BatchItemResult {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    return refuse('invalid_message', 'Expected an object');
  const fields = item as Record<string, unknown>;
  const unknown = Object.keys(fields).find((k) => !ITEM_FIELDS.includes(k));
  if (unknown !== undefined) return refuse('invalid_message', 'Unknown field');
  const channel = fields['channel'];
  if (!isValidChannelName(channel)) return refuse('invalid_message', 'Invalid channel name');
  if (!Object.hasOwn(fields, 'data')) return refuse('invalid_message', 'Missing data');
  const id = fields['id'];
  if (id !== undefined && (typeof id !== 'string' || !TOKEN.test(id))) return refuse('invalid_message', 'Invalid id');
  const key = fields['key'];
  if (key !== undefined && (typeof key !== 'string' || !TOKEN.test(key)))
    return refuse('invalid_message', 'Invalid key');
  return {
    channel,
    data: fields['data'] as JsonValue,
    ...(id === undefined ? {} : { id: id as string }),
    ...(key === undefined ? {} : { key: key as string }),
  };
}

/**
 * Publishes one checked item.
 * @returns Its position, or its error: `invalid_message` (payload schema), `not_found` (unknown namespace),
 *   `broker_unavailable` (the broker refused: retry the item with the same id), `internal`.
 */
async function publishItem(
  hub: RealtimeServer,
  item: { readonly channel: string; readonly data: JsonValue; readonly id?: string; readonly key?: string },
): Promise<BatchItemResult> {
  try {
    const { channel, data, ...options } = item;
    const result = await hub.publish(channel, data, options);
    return { ok: true, epoch: result.epoch, offset: result.offset, duplicate: result.duplicate };
  } catch (err) {
    if (err instanceof InvalidPayloadError) return refuse('invalid_message', err.message);
    if (err instanceof RangeError) return refuse('not_found', 'Unknown namespace');
    if (err instanceof BrokerError) return refuse('broker_unavailable', 'The message broker is unavailable');
    // Anything else is a bug: this item fails, the items before it stay published, the next ones are still tried.
    return refuse('internal', 'Internal error');
  }
}

/**
 * Publishes a batch already read and parsed by the API guards (key or signature, JSON, body size, depth).
 * Items are published one after the other in array order (so items of one channel keep their order), each on its
 * own: a refused item gets its error and the next item is still published.
 * @param items The parsed JSON array.
 * @param hub The real-time server.
 * @param maxItems The largest batch accepted.
 * @returns 200 `{results: [...]}` in item order; 400 for an empty array; 413 beyond `maxItems` (nothing published).
 */
export async function publishBatch(
  items: readonly unknown[],
  hub: RealtimeServer,
  maxItems: number,
): Promise<BatchAnswer> {
  if (items.length === 0)
    return { status: 400, body: { error: 'invalid_message', message: 'Expected 1 or more items' } };
  if (items.length > maxItems)
    return {
      status: 413,
      body: { error: 'too_many_items', message: `A batch holds at most ${maxItems} items (got ${items.length})` },
    };
  const results: BatchItemResult[] = [];
  for (const item of items) {
    const checked = checkBatchItem(item);
    results.push('channel' in checked ? await publishItem(hub, checked) : checked);
  }
  return { status: 200, body: { results } };
}
