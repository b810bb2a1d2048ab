// Realtime: what the server logic is told about the session that asks (its identity and connection).
import { WebSocket } from '../engine/index.ts';
import type { Identity } from './auth/identity.ts';
import type { JsonValue } from '../messages/index.ts';
import type { LogicCaller, PublishContext, RpcContext, SubscribeContext } from './logic.ts';
import type { Permissions } from './permissions.ts';
import type { Session } from './session.ts';

/**
 * The caller as every hook sees it.
 * @param session The session (its identity may not be set yet: `onConnect` runs before it is).
 * @param identity Who the session is (or is about to be).
 * @param permissions Resolves the effective roles (token roles plus those every authenticated user holds).
 * @returns A fresh object the logic may keep.
 */
export function callerOf(session: Session, identity: Identity, permissions: Permissions): LogicCaller {
  return {
    client: session.id,
    user: identity.user,
    anonymous: identity.anonymous,
    roles: permissions.rolesOf(identity),
    info: identity.info,
    remoteAddress: session.remoteAddress,
    transport: transportOf(session),
  };
}

/** What carries the session, as the logic is told. */
function transportOf(session: Session): string {
  return session.transport instanceof WebSocket ? 'websocket' : 'other';
}

// Optimisation (bench/RESULTS.md, logic-notes): the contexts of the frequent hooks are written out field by field. The
// obvious `{ ...callerOf(...), channel, namespace, data }` clones the caller and then adds fields one by one, which
// allocated about 1.5 KB per call in V8 12 (Node 20), against one small object written out: most of what a sync
// `onPublish` cost a publish.

/**
 * The context of `onSubscribe`.
 * @param session The session.
 * @param identity Who it is.
 * @param permissions Resolves the effective roles.
 * @param channel The channel asked for.
 * @param namespace Its namespace.
 */
export function subscribeContext(
  session: Session,
  identity: Identity,
  permissions: Permissions,
  channel: string,
  namespace: string,
): SubscribeContext {
  return {
    client: session.id,
    user: identity.user,
    anonymous: identity.anonymous,
    roles: permissions.rolesOf(identity),
    info: identity.info,
    remoteAddress: session.remoteAddress,
    transport: transportOf(session),
    channel,
    namespace,
  };
}

/**
 * The context of `onPublish`.
 * @param session The session.
 * @param identity Who it is.
 * @param permissions Resolves the effective roles.
 * @param channel The channel published to.
 * @param namespace Its namespace.
 * @param data The data as the client sent it.
 */
export function publishContext(
  session: Session,
  identity: Identity,
  permissions: Permissions,
  channel: string,
  namespace: string,
  data: JsonValue,
): PublishContext {
  return {
    client: session.id,
    user: identity.user,
    anonymous: identity.anonymous,
    roles: permissions.rolesOf(identity),
    info: identity.info,
    remoteAddress: session.remoteAddress,
    transport: transportOf(session),
    channel,
    namespace,
    data,
  };
}

/**
 * The same `onPublish` context with the data a logic replaced it with (for the next logic of the chain).
 * @param context The context.
 * @param data The new data.
 */
export function withData(context: PublishContext, data: JsonValue): PublishContext {
  return {
    client: context.client,
    user: context.user,
    anonymous: context.anonymous,
    roles: context.roles,
    info: context.info,
    remoteAddress: context.remoteAddress,
    transport: context.transport,
    channel: context.channel,
    namespace: context.namespace,
    data,
  };
}

/**
 * The context of an `rpc`.
 * @param session The session.
 * @param identity Who it is.
 * @param permissions Resolves the effective roles.
 * @param method The method called.
 * @param data Its argument.
 */
export function rpcContext(
  session: Session,
  identity: Identity,
  permissions: Permissions,
  method: string,
  data: JsonValue,
): RpcContext {
  return {
    client: session.id,
    user: identity.user,
    anonymous: identity.anonymous,
    roles: permissions.rolesOf(identity),
    info: identity.info,
    remoteAddress: session.remoteAddress,
    transport: transportOf(session),
    method,
    data,
  };
}

/**
 * Presence info with what the logic attached merged over the token's (a key the logic sets wins).
 * @param token The token's info, or null.
 * @param attached What the logic attached, or null.
 * @returns The merged info, or null when both are null.
 */
export function mergeInfo(
  token: Readonly<Record<string, unknown>> | null,
  attached: Readonly<Record<string, unknown>> | null,
): Readonly<Record<string, unknown>> | null {
  if (attached === null) return token;
  return Object.freeze(Object.assign(Object.create(null) as Record<string, unknown>, token, attached));
}
