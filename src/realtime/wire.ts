// Realtime: broker records in their wire form. The publication mapping itself is the protocol's (src/messages).
import type {
  ChannelEvent,
  Publication as StoredPublication,
  PresenceUser as StoredPresenceUser,
} from '../broker/index.ts';
import { toPublicationWire, type JsonValue, type ServerMessage } from '../messages/index.ts';

/** A publication inside `subscribed` and a `history` reply: JSON as it stands (absent fields are left out). */
export type WirePublication = {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly data: JsonValue;
  readonly time: number;
  readonly sender?: string;
  readonly id?: string;
  readonly key?: string;
};

/** A tombstone inside `subscribed` and a `history` reply: a deleted publication's position and time. */
export type WireTombstone = {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly time: number;
  readonly deleted: true;
};

/**
 * The protocol's publication mapping, typed as the JSON it returns: `toPublicationWire` leaves absent fields out
 * (never `undefined`), which zod's inferred type cannot say under `exactOptionalPropertyTypes`.
 */
export const toWirePublication = toPublicationWire as (
  publication: StoredPublication,
) => WirePublication | WireTombstone;

/**
 * The `deleted` message subscribers receive when a publication becomes a tombstone.
 * @param position The channel, epoch and offset of the deleted publication.
 * @returns The message.
 */
export function toDeletedMessage(position: {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
}): ServerMessage {
  return { type: 'deleted', channel: position.channel, epoch: position.epoch, offset: position.offset };
}

/** A presence entry on the wire. */
export type WirePresenceUser = { readonly user: string; readonly connections: number; readonly info?: JsonValue };

/**
 * A broker presence entry in its wire form.
 * @param user A broker presence user.
 * @returns Its wire form (`info` left out when absent).
 */
export function toPresenceUser(user: StoredPresenceUser): WirePresenceUser {
  return {
    user: user.user,
    connections: user.connections,
    ...(user.info === undefined || user.info === null ? {} : { info: user.info as JsonValue }),
  };
}

/**
 * A broker presence event as the `join` or `leave` message subscribers receive (`info` left out when absent).
 * @param event The broker's join or leave event.
 * @returns The message.
 */
export function toPresenceEventMessage(
  event: Extract<ChannelEvent, { readonly type: 'join' | 'leave' }>,
): ServerMessage {
  return {
    type: event.type,
    channel: event.channel,
    user: event.user,
    ...(event.info === undefined ? {} : { info: event.info as JsonValue }),
  };
}
