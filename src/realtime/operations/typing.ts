// Realtime operation `typing`: a typing indicator for the other subscribers of a channel (never stored).
import { ErrorCode, type TypingMessage } from '../../messages/index.ts';
import { refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Signals that the user started (or stopped) typing in a channel it is subscribed to.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `typing`.
 */
export function typing(session: Session, hub: HubServices, message: TypingMessage): void {
  const identity = session.identity!;
  const allowed = hub.permissions.can(identity, 'typing', message.channel);
  if (!allowed.ok) {
    refused(session, allowed, 'signal typing in', message.rid);
    return;
  }
  if (!session.subscriptions.has(message.channel)) {
    session.error(ErrorCode.NOT_SUBSCRIBED, 'Cannot signal typing: subscribe to the channel first', message.rid);
    return;
  }
  hub.typing.signal(message.channel, identity.user, message.on);
  session.reply(message.rid, {});
}
