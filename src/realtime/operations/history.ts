// Realtime operation `history`: a page of a channel's stored publications (docs/protocol.md §7).
import type { HistoryMessage } from '../../messages/index.ts';
import { toWirePublication } from '../wire.ts';
import { brokerFailed, refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Reads history, capped by the namespace's history size.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `history`.
 */
export async function history(session: Session, hub: HubServices, message: HistoryMessage): Promise<void> {
  const allowed = hub.permissions.can(session.identity!, 'history', message.channel);
  if (!allowed.ok) {
    refused(session, allowed, 'read the history of', message.rid);
    return;
  }
  const limit = Math.min(message.limit ?? hub.options.defaultHistoryLimit, allowed.config.historySize);
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
    channel: message.channel,
    epoch: result.epoch,
    offset: result.offset,
    publications: result.publications.map(toWirePublication),
    ...(message.since === undefined ? {} : { recovered: result.recovered }),
  });
}
