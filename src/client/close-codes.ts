// Client SDK (Node-free): the close codes the client sends or reads, by name.
import { DisconnectCode } from '../messages/core.ts';

/**
 * The RFC 6455 close codes the client uses, under the names of the protocol layer's `CloseCode` registry (the client
 * cannot import the protocol layer, whose modules need Node; test/client/close-codes.test.ts checks they agree).
 */
export const RfcCloseCode = {
  NORMAL: 1000,
  NO_STATUS_RECEIVED: 1005,
  ABNORMAL_CLOSURE: 1006,
  POLICY_VIOLATION: 1008,
  TRY_AGAIN_LATER: 1013,
} as const;

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
  RfcCloseCode.TRY_AGAIN_LATER, RfcCloseCode.POLICY_VIOLATION, DisconnectCode.RATE_LIMITED,
]);
