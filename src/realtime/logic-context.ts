// Realtime: what the server logic is told about the session that asks (its identity and connection).
import { WebSocket } from '../engine/index.ts';
import type { Identity } from './auth/identity.ts';
import type { LogicCaller } from './logic.ts';
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
    transport: session.transport instanceof WebSocket ? 'websocket' : 'other',
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
