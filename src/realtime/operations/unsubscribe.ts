// Realtime operation `unsubscribe`, and the release of a subscription it shares with `refresh` and session close.
import type { UnsubscribeMessage } from '../../messages/index.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Ends a subscription on the client's request; succeeds when there is none.
 * @param session The subscriber.
 * @param hub The hub's services.
 * @param message The validated `unsubscribe`.
 */
export async function unsubscribe(session: Session, hub: HubServices, message: UnsubscribeMessage): Promise<void> {
  await leave(session, hub, message.channel);
  if (message.rid !== undefined) session.send({ type: 'unsubscribed', re: message.rid, channel: message.channel });
}

/**
 * Ends a subscription (does nothing when there is none): leaves presence and typing, drops the local channel if empty.
 * @param session The subscriber.
 * @param hub The hub's services.
 * @param channel Channel name.
 */
export async function leave(
  session: Session,
  hub: Pick<HubServices, 'broker' | 'channels' | 'typing' | 'documents'>,
  channel: string,
): Promise<void> {
  const subscription = session.subscriptions.get(channel);
  if (subscription === undefined) return;
  subscription.state = 'gone';
  session.subscriptions.delete(channel);
  hub.channels.release(channel, session);
  hub.documents.leave(session.id, channel);
  const user = session.user;
  if (user !== null && !hasOtherSubscriber(hub, channel, user)) hub.typing.clear(channel, user);
  if (subscription.inPresence) {
    try {
      await hub.broker.removePresence(channel, session.id);
    } catch {
      // The broker expires presence of dead connections on its own; nothing else to do.
    }
  }
}

function hasOtherSubscriber(hub: Pick<HubServices, 'channels'>, channel: string, user: string): boolean {
  const local = hub.channels.get(channel);
  if (local === undefined) return false;
  for (const s of local.sessions()) if (s.user === user) return true;
  return false;
}
