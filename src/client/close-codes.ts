// Client SDK (Node-free): the close codes the client sends or reads, by name.
import { DisconnectCode, RfcCloseCode } from '../messages/core.ts';

/** Close codes the client itself sends. */
export const ClientCloseCode = {
  /**
   * The client abandons a connection it holds for dead or useless (no `connected` in time, a ping unanswered, a failed
   * connect); in the 4000-4499 "reconnect" range, and it does reconnect.
   */
  ABANDONED: 4000,
} as const;

/** Close codes that ask for a longer wait before reconnecting: try again later, policy violation, rate limited. */
export const SLOW_DOWN_CODES: ReadonlySet<number> = new Set<number>([
  RfcCloseCode.TRY_AGAIN_LATER,
  RfcCloseCode.POLICY_VIOLATION,
  DisconnectCode.RATE_LIMITED,
]);
