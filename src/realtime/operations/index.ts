// Realtime operations: what each client message does, one module per verb. Every path answers with a reply or an
// `error` carrying a stable code. Operations see the session and the hub's services, never the transport.
import type { SingleClientMessage } from '../../messages/index.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';
import { connect } from './connect.ts';
import { deletePublication } from './delete.ts';
import { doc } from './doc.ts';
import { history } from './history.ts';
import { presence } from './presence.ts';
import { publish, send } from './publish.ts';
import { refresh } from './refresh.ts';
import { rpc } from './rpc.ts';
import { subscribe } from './subscribe.ts';
import { typing } from './typing.ts';
import { unsubscribe } from './unsubscribe.ts';

export { leave } from './unsubscribe.ts';

type Handler<T extends SingleClientMessage['type']> = (
  session: Session,
  hub: HubServices,
  message: Extract<SingleClientMessage, { readonly type: T }>,
) => Promise<void> | void;

/** The handler of every client message type: the compiler refuses a message type without one. */
const HANDLERS: { readonly [T in SingleClientMessage['type']]: Handler<T> } = {
  connect,
  subscribe,
  unsubscribe,
  publish,
  send,
  typing,
  history,
  presence,
  refresh,
  ping: (session, _hub, message) => session.reply(message.rid, { time: Date.now() }),
  stats: (session, hub, message) => session.reply(message.rid, hub.stats()),
  rpc,
  delete: deletePublication,
  doc,
};

/**
 * Runs one validated client message for a session. Rejections are internal errors (the session answers `internal`).
 * @param session The session.
 * @param hub The hub's services.
 * @param message A validated message (not a batch).
 */
export async function runOperation(session: Session, hub: HubServices, message: SingleClientMessage): Promise<void> {
  const handler = HANDLERS[message.type] as Handler<SingleClientMessage['type']>;
  await handler(session, hub, message);
}
