// Realtime operation `refresh`: a new token for the same user; subscriptions it no longer allows end at once.
import { DisconnectCode, ErrorCode, type RefreshMessage } from '../../messages/index.ts';
import { callerOf, mergeInfo } from '../logic-context.ts';
import { authRefused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';
import { leave } from './unsubscribe.ts';

/**
 * Replaces the session's identity with the token's, when it names the same user.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `refresh`.
 */
export async function refresh(session: Session, hub: HubServices, message: RefreshMessage): Promise<void> {
  const current = session.identity!;
  const result = await hub.authenticator.authenticate(message.token);
  if (session.isClosed) return;
  if (!result.ok) {
    authRefused(session, hub.observer, result.failure, message.rid);
    return;
  }
  // docs/security-cases.md AU-08: a refresh carrying another user's token is refused; the session keeps its expiry.
  if (result.identity.user !== current.user || result.identity.anonymous !== current.anonymous) {
    session.error(ErrorCode.FORBIDDEN, 'Cannot refresh: the token belongs to another user', message.rid);
    return;
  }
  // A banned user's session ends at its next refresh at the latest (bans also close live sessions at once).
  if (await hub.bans.isBanned(current.user)) {
    session.error(ErrorCode.FORBIDDEN, 'Cannot refresh: the user is banned', message.rid);
    session.disconnect(DisconnectCode.FORBIDDEN);
    return;
  }
  if (session.isClosed) return;
  let identity = result.identity;
  if (hub.logic.has('onRefresh')) {
    const decided = await hub.logic.connect('onRefresh', {
      ...callerOf(session, identity, hub.permissions),
      expiresAt: identity.expiresAt,
    });
    if (session.isClosed) return;
    // A refusal (or a failure) keeps the old identity and its expiry: the session ends then unless refreshed again.
    if (!decided.ok) {
      session.error(decided.code, decided.message, message.rid);
      return;
    }
    if (decided.value !== null) session.attachedInfo = decided.value;
  }
  // What the logic attached at connect stays unless it attached something else now.
  identity = { ...identity, info: mergeInfo(identity.info, session.attachedInfo) };
  session.refreshed(identity);
  session.reply(message.rid, identity.expiresAt === null ? {} : { expires: identity.expiresAt });
  // The new token may carry fewer roles: subscriptions it no longer allows end now, not at the next reconnect.
  for (const channel of [...session.subscriptions.keys()]) {
    const allowed = hub.permissions.can(identity, 'subscribe', channel);
    if (allowed.ok) continue;
    await leave(session, hub, channel);
    session.send({
      type: 'unsubscribed',
      channel,
      code: allowed.code,
      reason: 'Permission revoked: the refreshed token does not allow this channel',
    });
  }
}
