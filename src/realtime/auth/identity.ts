// Realtime auth: who a connection is, how a refused credential is described, and the rules on user ids and roles.

/** Who a connection is, once authenticated. */
export interface Identity {
  /** The token's `sub`, or `anon-<32 hex digits>` (128 CSPRNG bits, docs/security-cases.md AU-13) for anonymous connections. */
  readonly user: string;
  readonly roles: readonly string[];
  /** Presence info from the token's info claim; null when absent. */
  readonly info: Readonly<Record<string, unknown>> | null;
  /** When the token expires, in milliseconds since the epoch; null for anonymous or exp-less tokens. */
  readonly expiresAt: number | null;
  readonly anonymous: boolean;
}

/** Coarse failure class: what the client is told. */
export type AuthFailureCode = 'missing_token' | 'invalid_token' | 'token_expired';

/**
 * Fine failure reason: a bounded set, safe as a metric label. Never contains the token or claim values.
 */
export type AuthFailureReason =
  | 'missing'
  | 'too_large'
  | 'malformed'
  | 'alg_not_allowed'
  | 'no_matching_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_audience'
  | 'bad_issuer'
  | 'missing_exp'
  | 'missing_sub'
  | 'bad_sub'
  | 'bad_roles'
  | 'bad_info';

/** Every {@link AuthFailureReason}, for pre-registering metric label values. */
export const AUTH_FAILURE_REASONS: readonly AuthFailureReason[] = [
  'missing',
  'too_large',
  'malformed',
  'alg_not_allowed',
  'no_matching_key',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'bad_audience',
  'bad_issuer',
  'missing_exp',
  'missing_sub',
  'bad_sub',
  'bad_roles',
  'bad_info',
];

/** A refused credential. */
export interface AuthFailure {
  readonly code: AuthFailureCode;
  readonly reason: AuthFailureReason;
}

/** The outcome of {@link Authenticator.authenticate}. */
export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly failure: AuthFailure };

/** Verifies credentials; built by {@link createAuthenticator}. */
export interface Authenticator {
  /**
   * Turns a credential into an identity. Never throws and never rejects on bad input.
   * @param token the raw token, or null when the client presented none (anonymous if configured)
   * @returns the identity, or a failure whose `reason` is a bounded metric label
   */
  authenticate(token: string | null): Promise<AuthResult>;
  /** Whether connections without a credential are accepted. */
  readonly allowsAnonymous: boolean;
}

/** Largest `sub` accepted, in characters; user ids end up in channel names and logs. */
export const MAX_USER_ID_LENGTH = 128;
/** `sub` characters: those allowed in a channel name, so `user:<sub>` is always a valid personal channel. */
export const USER_ID = /^[A-Za-z0-9_\-.@=+,~!]+$/;
/** Most roles a token may carry. */
export const MAX_ROLES = 32;

/**
 * A refusal.
 * @param code What the client is told.
 * @param reason The bounded metric label.
 */
export function fail(code: AuthFailureCode, reason: AuthFailureReason): AuthResult {
  return { ok: false, failure: { code, reason } };
}
