// Realtime operation `rpc`: calls a method of the server logic and answers with its `reply` or an `error`.
import { ErrorCode, type RpcMessage } from '../../messages/index.ts';
import { rpcContext } from '../logic-context.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Runs an RPC (docs/protocol.md, "rpc"): an in-process handler registered with `RealtimeServer#rpc`, else each
 * logic's `rpc` in order. The caller needs a role granting `rpc` (every authenticated user by default).
 * @param session The caller (authenticated).
 * @param hub The hub's services.
 * @param message The validated `rpc`.
 */
export async function rpc(session: Session, hub: HubServices, message: RpcMessage): Promise<void> {
  const identity = session.identity!;
  if (!hub.permissions.canCallRpc(identity)) {
    session.error(ErrorCode.FORBIDDEN, 'Cannot call the RPC method: permission denied', message.rid);
    return;
  }
  const answered = await hub.logic.rpc(
    rpcContext(session, identity, hub.permissions, message.method, message.data ?? null),
  );
  if (!answered.ok) {
    session.error(answered.code, answered.message, message.rid);
    return;
  }
  session.send(
    answered.value === undefined
      ? { type: 'reply', re: message.rid }
      : { type: 'reply', re: message.rid, data: answered.value },
  );
}
