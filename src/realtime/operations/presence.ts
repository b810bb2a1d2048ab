// Realtime operation `presence`: who is in a channel, on every node.
import type { PresenceMessage } from '../../messages/index.ts';
import { brokerFailed, refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';
import { toPresenceUser } from '../wire.ts';

/**
 * Lists the users present in a channel.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `presence`.
 */
export async function presence(session: Session, hub: HubServices, message: PresenceMessage): Promise<void> {
  const allowed = hub.permissions.can(session.identity!, 'presence', message.channel);
  if (!allowed.ok) {
    refused(session, allowed, 'read the presence of', message.rid);
    return;
  }
  let users;
  try {
    users = await hub.broker.presence(message.channel);
  } catch (err) {
    brokerFailed(session, err, message.rid);
    return;
  }
  session.reply(message.rid, { channel: message.channel, users: users.map(toPresenceUser) });
}
