// Realtime operation `subscribe`: history on join and gapless recovery; live events are buffered during the history read.
import type { HistoryResult, LatestResult, PresenceUser } from '../../broker/index.ts';
import { ErrorCode, toPublicationMessage, type SubscribeMessage } from '../../messages/index.ts';
import type { FeedDelivery } from '../channels.ts';
import { subscribeContext } from '../logic-context.ts';
import type { NamespaceConfig } from '../namespaces.ts';
import { brokerFailed, refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';
import { type PeerEnd, SessionPeer } from '../documents/session-peer.ts';
import type { Subscription } from '../subscription.ts';
import {
  toDeletedMessage,
  toPresenceEventMessage,
  toPresenceUser,
  toWirePublication,
  type WirePublication,
} from '../wire.ts';
import { leave } from './unsubscribe.ts';

/**
 * Subscribes a session to a channel (docs/protocol.md §7):
 * 1. install the channel's broker handler and register the subscription as pending, so live events are buffered;
 * 2. join presence, read the presence list, then read history (`since` for recovery, else the last N on join);
 * 3. send `subscribed` with the history, replay buffered events whose offset is above the history's top,
 *    and go live. Offsets at or below the top are already in `subscribed`: nothing is missing, nothing repeats.
 * @param session The subscriber.
 * @param hub The hub's services.
 * @param message The validated `subscribe`.
 */
export async function subscribe(session: Session, hub: HubServices, message: SubscribeMessage): Promise<void> {
  const { channel, rid } = message;
  const identity = session.identity!;
  const allowed = hub.permissions.can(identity, 'subscribe', channel);
  if (!allowed.ok) {
    refused(session, allowed, 'subscribe to', rid);
    return;
  }
  if (!hasRoomFor(session, hub, channel, rid)) return;
  if (!hasRoomForDocument(session, allowed.namespace, allowed.config, rid)) return;
  const banned = await hub.bans.bannedFrom(identity.user, channel);
  if (banned !== null) {
    session.error(
      ErrorCode.FORBIDDEN,
      banned === 'user'
        ? 'Cannot subscribe: the user is banned'
        : 'Cannot subscribe: the user is banned from the channel',
      rid,
    );
    return;
  }
  if (session.isClosed) return;
  if (hub.logic.has('onSubscribe')) {
    const decided = await hub.logic.subscribe(
      subscribeContext(session, identity, hub.permissions, channel, allowed.namespace),
    );
    if (session.isClosed) return;
    if (!decided.ok) {
      session.error(decided.code, decided.message, rid);
      return;
    }
  }
  // Another subscribe to the channel (or enough others to reach the cap) may have gone through meanwhile.
  if (!hasRoomFor(session, hub, channel, rid)) return;
  if (!hasRoomForDocument(session, allowed.namespace, allowed.config, rid)) return;
  const config = allowed.config;
  const wantsPresence = message.presence === true && config.presence;
  const subscription: Subscription = {
    channel,
    state: 'pending',
    presence: wantsPresence,
    inPresence: config.presence,
    buffer: [],
  };
  session.subscriptions.set(channel, subscription);
  const local = hub.channels.acquire(channel, {
    policy: config.slowConsumerPolicy,
    joinLeave: config.joinLeave,
    feed: feedDelivery(config),
  });
  local.addPending(session, subscription);

  let result: HistoryResult;
  let latest: LatestResult | null = null;
  let members: PresenceUser[] | null = null;
  try {
    await local.ready;
    if (subscription.state !== 'pending') return;
    if (config.presence) {
      await hub.broker.addPresence(channel, {
        connection: session.id,
        user: identity.user,
        ...(identity.info === null ? {} : { info: identity.info }),
      });
      // An unsubscribe (or a close) that ran meanwhile removed nothing: undo the entry added after it.
      if (subscription.state !== 'pending') {
        await hub.broker.removePresence(channel, session.id);
        return;
      }
    }
    if (wantsPresence) members = await hub.broker.presence(channel);
    if (subscription.state !== 'pending') return;
    const since = message.since;
    const recovering = since !== undefined && config.historySize > 0;
    const limit = recovering ? config.historySize : Math.min(config.recoverOnJoin, config.historySize);
    result = await hub.broker.history(channel, recovering ? { since, limit } : { limit });
    // Read after the history: it holds at least every publication up to the history's top (later ones are cut below
    // and arrive live from the buffer).
    if (config.snapshot && !(recovering && result.recovered) && subscription.state === 'pending')
      latest = await hub.broker.latest(channel, config.snapshotMaxKeys);
  } catch (err) {
    if (subscription.state === 'pending') {
      subscription.state = 'gone';
      session.subscriptions.delete(channel);
      hub.channels.release(channel, session);
      if (config.presence) hub.broker.removePresence(channel, session.id).catch(() => {});
    }
    brokerFailed(session, err, rid);
    return;
  }
  // Unsubscribed or disconnected while reading: the unsubscribe already released everything.
  if (subscription.state !== 'pending' || session.isClosed) return;

  session.send({
    type: 'subscribed',
    ...(rid === undefined ? {} : { re: rid }),
    channel,
    epoch: result.epoch,
    offset: result.offset,
    recovered: message.since === undefined ? false : result.recovered,
    publications: result.publications.map(toWirePublication),
    ...(members === null ? {} : { presence: members.map(toPresenceUser) }),
    ...(latest === null ? {} : { snapshot: snapshotOf(latest, result) }),
    ...(config.conflate ? { conflated: true } : {}),
  });
  const buffered = subscription.buffer;
  // The position sent so far: the history top, raised by every buffered publication replayed below.
  let sent = { epoch: result.epoch, offset: result.offset };
  for (const event of buffered) {
    if (
      event.type === 'publication' &&
      event.publication.epoch === sent.epoch &&
      event.publication.offset > sent.offset
    ) {
      sent = { epoch: sent.epoch, offset: event.publication.offset };
    }
  }
  // Live publications at or below `sent` can still be in flight from the broker: the channel skips them. Offsets
  // start at 1, so below an empty channel's 0 there is nothing to skip: the subscriber goes live at once, and the
  // channel keeps no catching-up entry for it (a document's channel carries no publications: it kept one forever).
  local.goLive(session, subscription, sent.offset === 0 ? undefined : sent);
  // A document: the registry loads it (once per node) and sends the server's sync1 after this `subscribed`.
  if (config.document) hub.documents.join(documentPeer(session, hub, channel), channel, config);
  for (const event of buffered) {
    if (event.type === 'deleted') {
      // Deleted while the history was read: the history may hold its data, so the client must hear of it.
      session.send(toDeletedMessage(event));
    } else if (event.type === 'publication') {
      const p = event.publication;
      // Already in the history part (same epoch, at or below its top): skip, or it would be a duplicate.
      if (p.epoch === result.epoch && p.offset <= result.offset) continue;
      // Published by this connection with `echo: false`: live delivery skips it, and so does this replay.
      if (p.exceptConnection === session.id) continue;
      session.send(p.deleted === true ? toDeletedMessage(p) : toPublicationMessage(p));
    } else if (event.type !== 'signal' && subscription.presence && config.joinLeave) {
      session.send(toPresenceEventMessage(event));
    }
  }
}

/**
 * The snapshot part of `subscribed`: the latest publications up to the history's top, of the same epoch (a newer one
 * comes live from the subscription's buffer, so nothing is sent twice).
 */
function snapshotOf(latest: LatestResult, result: HistoryResult): WirePublication[] {
  const out: WirePublication[] = [];
  for (const p of latest.publications) {
    if (p.epoch === result.epoch && p.offset <= result.offset && p.deleted !== true)
      out.push(toWirePublication(p) as WirePublication);
  }
  return out;
}

/** The channel's feed delivery options, or null for a namespace that uses neither conflation nor batches. */
function feedDelivery(config: NamespaceConfig): FeedDelivery | null {
  if (!config.conflate && !config.batchPublications) return null;
  return {
    conflate: config.conflate,
    maxKeys: config.snapshotMaxKeys,
    batch: config.batchPublications,
    batchMaxCount: config.batchMaxCount,
    batchMaxDelayMs: config.batchMaxDelayMs,
  };
}

/** Whether the session may add this subscription (not subscribed yet, under its cap); else answers why not. */
function hasRoomFor(session: Session, hub: HubServices, channel: string, rid: number | undefined): boolean {
  if (session.subscriptions.has(channel)) {
    session.error(ErrorCode.ALREADY_SUBSCRIBED, 'Cannot subscribe: already subscribed to the channel', rid);
    return false;
  }
  if (session.subscriptions.size >= hub.options.maxSubscriptions) {
    hub.observer.rateLimited?.('subscriptions');
    session.error(
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      `Cannot subscribe: at most ${hub.options.maxSubscriptions} subscriptions per connection`,
      rid,
    );
    return false;
  }
  return true;
}

/** Whether a document namespace's `documentsPerConnection` leaves room for one more; else answers why not. */
function hasRoomForDocument(
  session: Session,
  namespace: string,
  config: NamespaceConfig,
  rid: number | undefined,
): boolean {
  if (!config.document) return true;
  const prefix = `${namespace}:`;
  let open = 0;
  for (const name of session.subscriptions.keys()) if (name.startsWith(prefix)) open++;
  if (open < config.documentsPerConnection) return true;
  session.error(
    ErrorCode.TOO_MANY_DOCUMENTS,
    `Cannot open the document: at most ${config.documentsPerConnection} documents per connection`,
    rid,
  );
  return false;
}

/** Each hub's {@link PeerEnd}: one function per hub, not a closure per document peer. */
const peerEnds = new WeakMap<HubServices, PeerEnd>();

/** The session as a document peer; when its document cannot load, the subscription ends with the reason. */
function documentPeer(session: Session, hub: HubServices, channel: string): SessionPeer {
  let end = peerEnds.get(hub);
  if (end === undefined) {
    end = (peer, code, reason) => {
      const name = peer.channel;
      leave(peer.session, hub, name)
        .catch((err: unknown) => hub.observer.internalError?.(err))
        .finally(() => peer.session.send({ type: 'unsubscribed', channel: name, code, reason }));
    };
    peerEnds.set(hub, end);
  }
  return new SessionPeer(session, channel, end);
}
