// Sans-I/O protocol core: the closing rules of RFC 6455 §5.5.1 and §7, as pure functions from the
// lifecycle phase to the next one and the Close frame to send. No sockets, no timers.

import { CloseCode, serializeClosePayload } from './close-code.ts';
import type { CloseInfo, Lifecycle } from './connection-types.ts';
import type { ProtocolError } from './errors.ts';

/** What a step of the closing handshake does: the next lifecycle and the Close payload to send, if any. */
interface CloseStep {
  readonly next: Lifecycle & { readonly phase: 'closed' };
  /** The Close frame's payload to queue, or null when ours was already sent. */
  readonly reply: Uint8Array | null;
}

function assertNever(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}

/**
 * A Close frame arrived.
 * @returns the step, or null once closed (input after closing is discarded, §7.1.7)
 */
export function closeFrameReceived(now: Lifecycle, received: CloseInfo): CloseStep | null {
  switch (now.phase) {
    case 'open': {
      // §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close frame,
      // the endpoint MUST send a Close frame in response." The code is echoed, never the reason.
      // Both close frames are then seen, so the protocol's view is 'closed' at once: the server
      // engine ends TCP after flushing, the client engine awaits the server's TCP close.
      const code = received.code === CloseCode.NO_STATUS_RECEIVED ? undefined : received.code;
      return {
        next: { phase: 'closed', sent: { code: received.code, reason: '' }, received, failure: null },
        reply: serializeClosePayload(code),
      };
    }
    case 'closing':
      return { next: { phase: 'closed', sent: now.sent, received, failure: null }, reply: null };
    case 'closed':
      return null;
    default:
      return assertNever(now);
  }
}

/**
 * _Fail the WebSocket Connection_ (§7.1.7): "the endpoint MAY send a Close frame" — we do, with
 * the error's code, unless ours was already sent.
 * @param reason - sent to the peer; dropped when code and reason exceed 125 bytes
 * @returns the step, or null once closed
 */
export function failed(now: Lifecycle, error: ProtocolError, reason: string): CloseStep | null {
  switch (now.phase) {
    case 'open': {
      let payload: Uint8Array;
      try {
        payload = serializeClosePayload(error.closeCode, reason);
      } catch {
        reason = ''; // over 123 bytes: send the code alone
        payload = serializeClosePayload(error.closeCode);
      }
      return {
        next: { phase: 'closed', sent: { code: error.closeCode, reason }, received: null, failure: error },
        reply: payload,
      };
    }
    case 'closing':
      return { next: { phase: 'closed', sent: now.sent, received: now.received, failure: error }, reply: null };
    case 'closed':
      return null;
    default:
      return assertNever(now);
  }
}
