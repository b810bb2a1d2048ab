// Node-free application protocol: the one mapping from a stored publication to its wire form.
import type { HistoryItem, JsonValue, Publication, PublicationMessage } from './schemas.ts';

/**
 * A stored publication as brokers and history keep it (`data` is already JSON-compatible: a validated client
 * payload or a server feed's value). Optional fields may be present as `undefined`.
 */
export interface StoredPublication {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly data: unknown;
  readonly time: number;
  readonly sender?: string | undefined;
  readonly id?: string | undefined;
  /** The feed key, if any. */
  readonly key?: string | undefined;
  /** true on a tombstone (a deleted publication): its wire form carries no data, sender or id. */
  readonly deleted?: true | undefined;
}

/**
 * The wire form of a publication inside `subscribed.publications` and a history reply: only the protocol's fields,
 * absent ones left out (never `undefined`, which MessagePack would encode). A tombstone keeps only its position and
 * time, with `deleted: true`.
 *
 * @param publication The stored publication.
 * @returns A fresh object; `data` is shared, not copied.
 */
export function toPublicationWire(publication: StoredPublication): HistoryItem {
  const { channel, epoch, offset, time, sender, id, key } = publication;
  if (publication.deleted === true) return { channel, epoch, offset, time, deleted: true };
  const wire: Publication = { channel, epoch, offset, data: publication.data as JsonValue, time };
  if (sender !== undefined) wire.sender = sender;
  if (id !== undefined) wire.id = id;
  if (key !== undefined) wire.key = key;
  return wire;
}

/**
 * The live `publication` message of a stored publication (`type` first), to encode once and send to every subscriber.
 *
 * @param publication The stored publication.
 * @returns The message.
 */
export function toPublicationMessage(publication: StoredPublication): PublicationMessage {
  // Built directly (not a spread of toPublicationWire): this runs once per publication on the fan-out path.
  const { channel, epoch, offset, time, sender, id, key } = publication;
  const message: PublicationMessage = {
    type: 'publication',
    channel,
    epoch,
    offset,
    data: publication.data as JsonValue,
    time,
  };
  if (sender !== undefined) message.sender = sender;
  if (id !== undefined) message.id = id;
  if (key !== undefined) message.key = key;
  return message;
}
