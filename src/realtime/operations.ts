// Realtime: what each client message does. Every path answers with a reply or an `error` carrying a stable code.
import { BrokerError, type Broker } from '../broker/index.ts';
import {
  DisconnectCode, ErrorCode,
  type ConnectMessage, type HistoryMessage, type JsonValue, type PresenceMessage, type PublishMessage,
  type RefreshMessage, type SendMessage, type SingleClientMessage, type TypingMessage, type UnsubscribeMessage,
} from '../messages/index.ts';
import type { Authenticator, AuthFailure } from './auth.ts';
import type { ChannelRegistry } from './channels.ts';
import { personalChannel, type Namespaces } from './namespaces.ts';
import type { PermissionResult, Permissions } from './permissions.ts';
import type { ConnectionRateLimitOptions } from './rate-limit.ts';
import { subscribe, unsubscribe } from './subscribe.ts';
import type { Session } from './session.ts';
import type { TypingTracker } from './typing.ts';

/** Hooks the HTTP layer uses for metrics and logs; every one is optional. Labels are bounded sets, never peer strings. */
export interface RealtimeObserver {
  sessionOpened?(session: Session): void;
  sessionClosed?(session: Session): void;
  /** A frame arrived; `type` is the message type, or `other` when it could not be decoded. */
  messageIn?(type: string, bytes: number): void;
  /** A limit refused an action. */
  rateLimited?(limit: 'messages' | 'bytes' | 'subscriptions' | 'connections' | 'connections_per_user'): void;
  /** A credential was refused at `connect` or `refresh` (bounded reason from auth.ts). */
  authFailed?(reason: string): void;
  messageOut?(type: string, bytes: number): void;
  errorReply?(code: ErrorCode): void;
  malformed?(code: ErrorCode): void;
  handshakeRejected?(reason: string): void;
  delivered?(count: number, latencyMs: number): void;
  slowConsumer?(action: 'dropped' | 'closed'): void;
  brokerLatency?(operation: string, ms: number): void;
  internalError?(err: unknown): void;
}

/** Limits and timings a session reads. */
export interface SessionOptions {
  readonly authTimeoutMs: number;
  readonly maxStrikes: number;
  readonly strikeWindowMs: number;
  readonly maxSubscriptions: number;
  readonly maxConnectionsPerUser: number;
  readonly rateLimit: ConnectionRateLimitOptions;
  /** Largest `limit` served by `history` when the client gives none. */
  readonly defaultHistoryLimit: number;
}

/** What sessions and operations need from the hub. */
export interface HubServices {
  readonly broker: Broker;
  readonly namespaces: Namespaces;
  readonly permissions: Permissions;
  readonly authenticator: Authenticator;
  readonly channels: ChannelRegistry;
  readonly typing: TypingTracker;
  readonly options: SessionOptions;
  readonly observer: RealtimeObserver;
  /** Registers an authenticated session under its user; false when the user is at its connection cap. */
  addUserSession(session: Session): boolean;
  /** A session ended: release its subscriptions, presence and user slot. */
  sessionClosed(session: Session): void;
  /** Server statistics for `stats`. */
  stats(): Record<string, JsonValue>;
}

/**
 * Runs one validated client message for a session. Rejections are internal errors (the session answers `internal`).
 * @param session The session.
 * @param hub The hub's services.
 * @param message A validated message (not a batch).
 */
export async function runOperation(session: Session, hub: HubServices, message: SingleClientMessage): Promise<void> {
  switch (message.type) {
    case 'connect': return connect(session, hub, message);
    case 'subscribe': return subscribe(session, hub, message);
    case 'unsubscribe': return doUnsubscribe(session, hub, message);
    case 'publish': return publish(session, hub, message);
    case 'send': return send(session, hub, message);
    case 'typing': return typing(session, hub, message);
    case 'history': return history(session, hub, message);
    case 'presence': return presence(session, hub, message);
    case 'refresh': return refresh(session, hub, message);
    case 'ping': session.reply(message.rid, { time: Date.now() }); return;
    case 'stats': session.reply(message.rid, hub.stats()); return;
    default: return assertNever(message);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`Unexpected message ${JSON.stringify(value)}`);
}

/**
 * Answers a refused permission check; returns true when the operation may go on.
 * @param session The session.
 * @param result The permission decision.
 * @param what Verb for the message ("subscribe to").
 * @param rid Request id.
 */
export function permitted(session: Session, result: PermissionResult, what: string, rid: number | undefined): boolean {
  if (result.ok) return true;
  const text = result.code === 'not_found' ? `Cannot ${what} the channel: unknown namespace`
    : result.code === 'not_available' ? `Cannot ${what} the channel: disabled in this namespace`
      : result.code === 'invalid_message' ? `Cannot ${what} the channel: invalid channel`
        : `Cannot ${what} the channel: permission denied`;
  session.error(result.code, text, rid);
  return false;
}

/**
 * Maps a broker failure to `broker_unavailable`; anything else is rethrown as an internal error.
 * @param session The session.
 * @param err What the broker threw.
 * @param rid Request id.
 */
export function brokerFailed(session: Session, err: unknown, rid: number | undefined): void {
  if (err instanceof BrokerError) {
    session.error(ErrorCode.BROKER_UNAVAILABLE, 'The message broker is unavailable: retry later', rid);
    return;
  }
  throw err;
}

function authError(session: Session, hub: HubServices, failure: AuthFailure, rid: number | undefined): void {
  hub.observer.authFailed?.(failure.reason);
  if (failure.code === 'token_expired') session.error(ErrorCode.TOKEN_EXPIRED, 'Cannot authenticate: the token has expired', rid);
  else session.error(ErrorCode.UNAUTHORIZED, failure.code === 'missing_token' ? 'Cannot authenticate: a token is required' : 'Cannot authenticate: invalid token', rid);
}

async function connect(session: Session, hub: HubServices, message: ConnectMessage): Promise<void> {
  if (session.identity !== null) {
    session.error(ErrorCode.ALREADY_CONNECTED, 'Cannot connect: already connected', message.rid);
    session.strike();
    return;
  }
  let identity = message.token === undefined ? session.handshakeIdentity : null;
  if (identity === null) {
    const result = await hub.authenticator.authenticate(message.token ?? null);
    if (!result.ok) {
      authError(session, hub, result.failure, message.rid);
      session.disconnect(DisconnectCode.INVALID_TOKEN);
      return;
    }
    identity = result.identity;
  }
  if (session.isClosed) return;
  session.authenticate(identity);
  if (!hub.addUserSession(session)) {
    session.disconnect(DisconnectCode.CONNECTION_LIMIT);
    return;
  }
  session.send({
    type: 'connected', ...(message.rid === undefined ? {} : { re: message.rid }),
    client: session.id, user: identity.user,
    ...(identity.expiresAt === null ? {} : { expires: identity.expiresAt }),
  });
}

async function refresh(session: Session, hub: HubServices, message: RefreshMessage): Promise<void> {
  const current = session.identity!;
  const result = await hub.authenticator.authenticate(message.token);
  if (session.isClosed) return;
  if (!result.ok) {
    authError(session, hub, result.failure, message.rid);
    return;
  }
  // SECURITY-CASES AU-08: a refresh carrying another user's token is refused; the session keeps its expiry.
  if (result.identity.user !== current.user || result.identity.anonymous !== current.anonymous) {
    session.error(ErrorCode.FORBIDDEN, 'Cannot refresh: the token belongs to another user', message.rid);
    return;
  }
  session.refreshed(result.identity);
  session.reply(message.rid, result.identity.expiresAt === null ? {} : { expires: result.identity.expiresAt });
  // The new token may carry fewer roles: subscriptions it no longer allows end now, not at the next reconnect.
  for (const channel of [...session.subscriptions.keys()]) {
    const allowed = hub.permissions.can(result.identity, 'subscribe', channel);
    if (allowed.ok) continue;
    await unsubscribe(session, hub, channel);
    session.send({ type: 'unsubscribed', channel, code: allowed.code, reason: 'Permission revoked: the refreshed token does not allow this channel' });
  }
}

async function doUnsubscribe(session: Session, hub: HubServices, message: UnsubscribeMessage): Promise<void> {
  await unsubscribe(session, hub, message.channel);
  if (message.rid !== undefined) session.send({ type: 'unsubscribed', re: message.rid, channel: message.channel });
}

async function publish(session: Session, hub: HubServices, message: PublishMessage): Promise<void> {
  const identity = session.identity!;
  if (!permitted(session, hub.permissions.can(identity, 'publish', message.channel), 'publish to', message.rid)) return;
  await publishInto(session, hub, message.channel, message.data, message.id, message.rid);
}

async function send(session: Session, hub: HubServices, message: SendMessage): Promise<void> {
  const identity = session.identity!;
  const channel = personalChannel(message.user);
  if (channel === null) {
    session.error(ErrorCode.NOT_FOUND, 'Cannot send: no such user', message.rid);
    return;
  }
  const allowed = hub.permissions.can(identity, 'send', channel);
  if (!allowed.ok) {
    session.error(allowed.code, allowed.code === 'not_available' ? 'Cannot send: private messages are disabled' : 'Cannot send: permission denied', message.rid);
    return;
  }
  await publishInto(session, hub, channel, message.data, message.id, message.rid);
}

async function publishInto(session: Session, hub: HubServices, channel: string, data: JsonValue, id: string | undefined, rid: number | undefined): Promise<void> {
  const resolved = hub.namespaces.resolve(channel);
  if (!resolved.ok) return;
  const user = session.user!;
  const started = performance.now();
  let result;
  try {
    result = await hub.broker.publish(channel, data, {
      historySize: resolved.config.historySize,
      historyTtlMs: resolved.config.historyTtlMs,
      sender: user,
      // docs/protocol.md §8: ids are deduplicated per publisher, so two users' ids never collide.
      ...(id === undefined ? {} : { id, idempotencyKey: `${user}\u0000${id}` }),
    });
  } catch (err) {
    brokerFailed(session, err, rid);
    return;
  }
  hub.observer.brokerLatency?.('publish', performance.now() - started);
  session.reply(rid, { channel, epoch: result.epoch, offset: result.offset, duplicate: result.duplicate });
}

function typing(session: Session, hub: HubServices, message: TypingMessage): void {
  const identity = session.identity!;
  if (!permitted(session, hub.permissions.can(identity, 'typing', message.channel), 'signal typing in', message.rid)) return;
  if (!session.subscriptions.has(message.channel)) {
    session.error(ErrorCode.NOT_SUBSCRIBED, 'Cannot signal typing: subscribe to the channel first', message.rid);
    return;
  }
  hub.typing.signal(message.channel, identity.user, message.on);
  session.reply(message.rid, {});
}

async function history(session: Session, hub: HubServices, message: HistoryMessage): Promise<void> {
  const identity = session.identity!;
  if (!permitted(session, hub.permissions.can(identity, 'history', message.channel), 'read the history of', message.rid)) return;
  const resolved = hub.namespaces.resolve(message.channel);
  if (!resolved.ok) return;
  const limit = Math.min(message.limit ?? hub.options.defaultHistoryLimit, resolved.config.historySize);
  let result;
  try {
    result = await hub.broker.history(message.channel, {
      limit,
      ...(message.since === undefined ? {} : { since: message.since }),
      ...(message.before === undefined ? {} : { before: message.before }),
    });
  } catch (err) {
    brokerFailed(session, err, message.rid);
    return;
  }
  session.reply(message.rid, {
    channel: message.channel, epoch: result.epoch, offset: result.offset,
    publications: result.publications.map((p) => ({
      channel: p.channel, epoch: p.epoch, offset: p.offset, data: p.data as JsonValue, time: p.time,
      ...(p.sender === undefined ? {} : { sender: p.sender }), ...(p.id === undefined ? {} : { id: p.id }),
    })),
    ...(message.since === undefined ? {} : { recovered: result.recovered }),
  });
}

async function presence(session: Session, hub: HubServices, message: PresenceMessage): Promise<void> {
  const identity = session.identity!;
  if (!permitted(session, hub.permissions.can(identity, 'presence', message.channel), 'read the presence of', message.rid)) return;
  let users;
  try {
    users = await hub.broker.presence(message.channel);
  } catch (err) {
    brokerFailed(session, err, message.rid);
    return;
  }
  session.reply(message.rid, { channel: message.channel, users: users.map(toPresenceUser) });
}

/**
 * The wire form of a broker presence user.
 * @param user A broker presence user.
 */
export function toPresenceUser(user: { readonly user: string; readonly connections: number; readonly info?: unknown }): { user: string; connections: number; info?: JsonValue } {
  return { user: user.user, connections: user.connections, ...(user.info === undefined || user.info === null ? {} : { info: user.info as JsonValue }) };
}
