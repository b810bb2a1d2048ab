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

/** A copy of the caller's fields of a context. */
function callerFields(caller: LogicCaller): LogicCaller {
  return {
    client: caller.client,
    user: caller.user,
    anonymous: caller.anonymous,
    roles: caller.roles,
    info: caller.info,
    remoteAddress: caller.remoteAddress,
    transport: caller.transport,
  };
}

/** What carries the session, as the logic is told. */
function transportOf(session: Session): string {
  return session.transport instanceof WebSocket ? 'websocket' : (session.transport.kind ?? 'other');
}

// Optimisation (bench/RESULTS.md, logic-notes): the contexts of the frequent hooks are the caller with fields added one
// by one. The obvious `{ ...callerOf(...), channel, namespace, data }` clones the caller and then adds the fields,
// which allocated about 1.5 KB per call in V8 12 (Node 20): most of what a sync `onPublish` cost a publish.

/** A context under construction: the caller's object, writable, with the fields of `T` to be added. */
type Building<T> = { -readonly [K in keyof T]: T[K] };

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
  const context = callerOf(session, identity, permissions) as Building<SubscribeContext>;
  context.channel = channel;
  context.namespace = namespace;
  return context;
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
  const context = subscribeContext(session, identity, permissions, channel, namespace) as Building<PublishContext>;
  context.data = data;
  return context;
}

/**
 * The same `onPublish` context with the data a logic replaced it with, for the next logic of the chain (a new object:
 * a logic may keep the one it was given).
 * @param context The context.
 * @param data The new data.
 */
export function withData(context: PublishContext, data: JsonValue): PublishContext {
  const next = callerFields(context) as Building<PublishContext>;
  next.channel = context.channel;
  next.namespace = context.namespace;
  next.data = data;
  return next;
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
  const context = callerOf(session, identity, permissions) as Building<RpcContext>;
  context.method = method;
  context.data = data;
  return context;
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
