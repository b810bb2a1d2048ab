// Realtime operation `connect`: authenticates the session (docs/protocol.md §5).
import { DisconnectCode, ErrorCode, type ConnectMessage } from '../../messages/index.ts';
import { callerOf, mergeInfo } from '../logic-context.ts';
import { authRefused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Authenticates with the message's token, or with the handshake's credential when it carries none.
 * @param session The session.
 * @param hub The hub's services.
 * @param message The validated `connect`.
 */
export async function connect(session: Session, hub: HubServices, message: ConnectMessage): Promise<void> {
  if (session.identity !== null) {
    session.error(ErrorCode.ALREADY_CONNECTED, 'Cannot connect: already connected', message.rid);
    session.strike();
    return;
  }
  let identity = message.token === undefined ? session.handshakeIdentity : null;
  if (identity === null) {
    const result = await hub.authenticator.authenticate(message.token ?? null);
    if (!result.ok) {
      authRefused(session, hub.observer, result.failure, message.rid);
      session.disconnect(DisconnectCode.INVALID_TOKEN);
      return;
    }
    identity = result.identity;
  }
  if (session.isClosed) return;
  if (await hub.bans.isBanned(identity.user)) {
    session.error(ErrorCode.FORBIDDEN, 'Cannot connect: the user is banned', message.rid);
    session.disconnect(DisconnectCode.FORBIDDEN);
    return;
  }
  if (session.isClosed) return;
  if (hub.logic.has('onConnect')) {
    const decided = await hub.logic.connect('onConnect', {
      ...callerOf(session, identity, hub.permissions),
      expiresAt: identity.expiresAt,
    });
    if (session.isClosed) return;
    if (!decided.ok) {
      session.error(decided.code, decided.message, message.rid);
      // A refusal keeps the client away (4504); a failure of the logic or of its backend is worth a retry (4011).
      const retry = decided.code === ErrorCode.INTERNAL || decided.code === ErrorCode.BACKEND_UNAVAILABLE;
      session.disconnect(retry ? DisconnectCode.INTERNAL : DisconnectCode.FORBIDDEN);
      return;
    }
    session.attachedInfo = decided.value;
    identity = { ...identity, info: mergeInfo(identity.info, decided.value) };
  }
  session.authenticate(identity);
  if (!hub.addUserSession(session)) {
    session.disconnect(DisconnectCode.CONNECTION_LIMIT);
    return;
  }
  session.send({
    type: 'connected',
    ...(message.rid === undefined ? {} : { re: message.rid }),
    client: session.id,
    user: identity.user,
    ...(identity.expiresAt === null ? {} : { expires: identity.expiresAt }),
  });
}
