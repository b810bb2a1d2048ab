// Realtime: the WebSocket upgrade check: drain, address deny-list, per-address rate, origin (CSWSH) and the credential.
import type { AcceptHook, AcceptResult } from '../engine/index.ts';
import { selectSubprotocol } from '../messages/index.ts';
import { extractToken, type CredentialSource } from './auth/credentials.ts';
import type { Authenticator, Identity } from './auth/identity.ts';
import type { RealtimeObserver } from './observer.ts';
import { originRefusalBody, shownOrigin, type OriginPolicy } from './origin.ts';
import type { KeyedRateLimiter } from './rate-limit.ts';

/** The upgrade request as the engine hands it over. */
type UpgradeRequest = Parameters<AcceptHook>[0];
/** What the engine tells about the upgrade besides the request. */
type UpgradeInfo = Parameters<AcceptHook>[1];

/** What the handshake leaves on the accepted WebSocket (`ws.context`) for the session. */
export interface HandshakeContext {
  /** Who the handshake credential says the client is; null when it carried none. */
  readonly identity: Identity | null;
}

/** What the upgrade check reads. */
export interface HandshakeChecks {
  /** Whether the hub is draining (every upgrade gets 503). */
  draining(): boolean;
  /** The per-address rate of opening connections; null for requests inside a session already open (no rate). */
  readonly ipLimiter: KeyedRateLimiter | null;
  readonly origins: OriginPolicy;
  readonly authenticator: Authenticator;
  readonly observer: RealtimeObserver;
  readonly cookieName: string | null;
  readonly allowQueryToken: boolean;
  readonly allowSameOrigin: boolean;
  /** Whether a client address is on the deny-list (refused with 403 before anything else is looked at). */
  deniedAddress(address: string): boolean;
}

/**
 * Builds the engine's accept hook: 503 while draining, 403 for a denied address, 429 over the per-address rate, 403 for a browser origin not
 * allowed, 401 for a credential that does not verify; else the chosen subprotocol and the handshake identity.
 * @param checks Limiter, origin policy, authenticator and credential sources.
 * @returns The hook for the engine's `accept` option.
 */
export function createAcceptHook(
  checks: HandshakeChecks,
): (req: UpgradeRequest, info: UpgradeInfo) => AcceptResult | Promise<AcceptResult> {
  const { ipLimiter, observer } = checks;
  const accepted = (identity: Identity | null, info: UpgradeInfo): AcceptResult => {
    const protocol = selectSubprotocol(info.protocols);
    const context: HandshakeContext = { identity };
    return protocol === null ? { context } : { protocol, context };
  };
  // Synchronous unless a credential is to be verified: a request without one (every long poll of an anonymous
  // session, most upgrades on a public site) costs no promise.
  return (req, info) => {
    if (checks.draining()) return { status: 503, headers: { 'Retry-After': '5' } };
    const ip = info.address;
    if (checks.deniedAddress(ip)) {
      observer.handshakeRejected?.('denied_address');
      return { status: 403, body: 'Forbidden: this address is not allowed\n' };
    }
    if (ipLimiter !== null && !ipLimiter.tryAcquire(ip)) {
      observer.handshakeRejected?.('ip_rate');
      observer.rateLimited?.('connections');
      return { status: 429, headers: { 'Retry-After': String(Math.max(1, Math.ceil(ipLimiter.msUntil(ip) / 1000))) } };
    }
    const credential = extractToken(req, { cookieName: checks.cookieName, allowQuery: checks.allowQueryToken });
    const source = credential?.source ?? null;
    const origin = checks.origins.check(req.headers.origin, source);
    if (!origin.ok && !(checks.allowSameOrigin && isSameOrigin(req.headers.host, info.origin, source))) {
      observer.handshakeRejected?.(origin.reason);
      const shown = shownOrigin(req.headers.origin);
      observer.originRefused?.(shown, origin.reason);
      // A page refused for its origin says why (a 403 alone leaves a user behind a proxy on another port guessing).
      return { status: 403, body: originRefusalBody(origin.reason, shown) };
    }
    if (credential === null) return accepted(null, info);
    return checks.authenticator.authenticate(credential.token).then((result): AcceptResult => {
      if (!result.ok) {
        observer.handshakeRejected?.('auth');
        observer.authFailed?.(result.failure.reason);
        return { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } };
      }
      return accepted(result.identity, info);
    });
  };
}

/** Whether the browser's `Origin` is the page this server serves (`http(s)://` + the request's `Host`). */
function isSameOrigin(host: string | undefined, origin: string | null, source: CredentialSource | null): boolean {
  if (origin === null || host === undefined) return false;
  // Cookies are ambient credentials: same-origin by Host alone is not enough for them (CSWSH, AU-03).
  if (source === 'cookie') return false;
  const lower = origin.toLowerCase();
  return lower === `http://${host.toLowerCase()}` || lower === `https://${host.toLowerCase()}`;
}
