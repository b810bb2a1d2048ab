// Realtime operation `doc`: a Yjs sync or awareness message for a document the session has open (docs/documents.md).
import { ErrorCode, type DocMessage } from '../../messages/index.ts';
import { fromBase64 } from '../documents/bytes.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Hands a `doc` message to the document registry, which checks size, rate, bytes and the write permission before
 * anything touches the document.
 * @param session The session (authenticated).
 * @param hub The hub's services.
 * @param message The validated `doc`.
 */
export async function doc(session: Session, hub: HubServices, message: DocMessage): Promise<void> {
  const held = await hub.documents.receive(
    session.id,
    message.channel,
    message.kind,
    fromBase64(message.data),
    message.rid,
    message.more === true,
    message.quiet === true,
  );
  if (!held)
    session.error(ErrorCode.NOT_SUBSCRIBED, 'Cannot use the document: subscribe to its channel first', message.rid);
}
