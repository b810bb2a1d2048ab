// Realtime: broker records in their wire form. The publication mapping itself is the protocol's (src/messages).
import type { Publication as StoredPublication, PresenceUser as StoredPresenceUser } from '../broker/index.ts';
import { toPublicationMessage, type JsonValue } from '../messages/index.ts';

/** A publication inside `subscribed` and a `history` reply: JSON as it stands (absent fields are left out). */
export type WirePublication = {
  readonly channel: string; readonly epoch: string; readonly offset: number; readonly data: JsonValue; readonly time: number;
  readonly sender?: string; readonly id?: string;
};

/** A presence entry on the wire. */
export type WirePresenceUser = { readonly user: string; readonly connections: number; readonly info?: JsonValue };

/**
 * A stored publication as it appears inside `subscribed` and a `history` reply (the `publication` message without `type`).
 * @param publication A broker publication.
 * @returns Its wire form.
 */
export function toWirePublication(publication: StoredPublication): WirePublication {
  const { type: _type, ...wire } = toPublicationMessage(publication);
  // toPublicationMessage leaves absent fields out (never `undefined`): the object is JSON as it stands.
  return wire as WirePublication;
}

/**
 * A broker presence entry in its wire form.
 * @param user A broker presence user.
 * @returns Its wire form (`info` left out when absent).
 */
export function toPresenceUser(user: StoredPresenceUser): WirePresenceUser {
  return { user: user.user, connections: user.connections, ...(user.info === undefined || user.info === null ? {} : { info: user.info as JsonValue }) };
}
