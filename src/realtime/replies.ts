// Realtime: the `error` replies operations share, each with a stable code (docs/protocol.md §12).
import { BrokerError } from '../broker/index.ts';
import { ErrorCode } from '../messages/index.ts';
import type { AuthFailure } from './auth/identity.ts';
import type { RealtimeObserver } from './observer.ts';
import type { PermissionDenied } from './permissions.ts';
import type { Session } from './session.ts';

const REFUSAL_TEXT: Readonly<Record<PermissionDenied['code'], string>> = {
  not_found: 'unknown namespace',
  not_available: 'disabled in this namespace',
  invalid_message: 'invalid channel',
  forbidden: 'permission denied',
};

/**
 * Answers a refused permission check with an `error` carrying the refusal's code.
 * @param session The session.
 * @param denied The refusal.
 * @param what Verb for the message ("subscribe to").
 * @param rid Request id.
 */
export function refused(session: Session, denied: PermissionDenied, what: string, rid: number | undefined): void {
  session.error(denied.code, `Cannot ${what} the channel: ${REFUSAL_TEXT[denied.code]}`, rid);
}

/**
 * Answers a broker failure with `broker_unavailable`; anything else is rethrown (the session answers `internal`).
 * @param session The session.
 * @param err What the broker threw.
 * @param rid Request id.
 */
export function brokerFailed(session: Session, err: unknown, rid: number | undefined): void {
  if (err instanceof BrokerError) {
    session.error(ErrorCode.BROKER_UNAVAILABLE, 'The message broker is unavailable: retry later', rid);
    return;
  }
  throw err;
}

/**
 * Answers a refused credential (`token_expired` or `unauthorized`) and counts it.
 * @param session The session.
 * @param observer Where the refusal is counted.
 * @param failure Why the credential was refused.
 * @param rid Request id.
 */
export function authRefused(
  session: Session,
  observer: RealtimeObserver,
  failure: AuthFailure,
  rid: number | undefined,
): void {
  observer.authFailed?.(failure.reason);
  if (failure.code === 'token_expired')
    session.error(ErrorCode.TOKEN_EXPIRED, 'Cannot authenticate: the token has expired', rid);
  else
    session.error(
      ErrorCode.UNAUTHORIZED,
      failure.code === 'missing_token'
        ? 'Cannot authenticate: a token is required'
        : 'Cannot authenticate: invalid token',
      rid,
    );
}
