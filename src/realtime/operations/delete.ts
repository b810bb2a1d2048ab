// Realtime operation `delete`: a publication becomes a tombstone, by a moderator (the `delete` operation) or its author.
import { ErrorCode, type DeleteMessage } from '../../messages/index.ts';
import { brokerFailed, refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Deletes the publication at `message.offset` (docs/protocol.md, "delete"). A role granted `delete` (admin `*`,
 * `moderator`) deletes any publication; anyone else only their own, where they may still write (`publish`, or `send`
 * in a personal channel), checked atomically by the broker against the stored sender.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `delete`.
 */
export async function deletePublication(session: Session, hub: HubServices, message: DeleteMessage): Promise<void> {
  const identity = session.identity!;
  const { channel, offset, rid } = message;
  const asModerator = hub.permissions.can(identity, 'delete', channel);
  let onlySender: string | undefined;
  if (!asModerator.ok) {
    if (asModerator.code !== 'forbidden' || identity.anonymous) {
      refused(session, asModerator, 'delete from', rid);
      return;
    }
    const resolved = hub.permissions.namespaces.resolve(channel);
    const writeOp = resolved.ok && resolved.owner !== null ? 'send' : 'publish';
    if (!hub.permissions.can(identity, writeOp, channel).ok) {
      refused(session, asModerator, 'delete from', rid);
      return;
    }
    onlySender = identity.user;
  }
  let outcome;
  try {
    outcome = await hub.broker.deletePublication(channel, offset, {
      ...(message.epoch === undefined ? {} : { epoch: message.epoch }),
      ...(onlySender === undefined ? {} : { onlySender }),
    });
  } catch (err) {
    brokerFailed(session, err, rid);
    return;
  }
  switch (outcome.result) {
    case 'deleted':
    case 'already_deleted':
      session.reply(rid, {
        channel,
        epoch: outcome.epoch,
        offset,
        alreadyDeleted: outcome.result === 'already_deleted',
      });
      return;
    case 'not_found':
      session.error(ErrorCode.NOT_FOUND, 'Cannot delete: no retained publication at this offset and epoch', rid);
      return;
    case 'not_sender':
      session.error(ErrorCode.FORBIDDEN, 'Cannot delete: only its author or a moderator may delete a publication', rid);
      return;
  }
}
