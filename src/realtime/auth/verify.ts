// Realtime auth: verifies JWTs with jose against an algorithm allowlist; never throws on a bad token.
import { randomBytes, type KeyObject } from 'node:crypto';
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type CryptoKey as JoseCryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import {
  fail,
  MAX_ROLES,
  MAX_USER_ID_LENGTH,
  USER_ID,
  type AuthFailureReason,
  type AuthResult,
  type Authenticator,
} from './identity.ts';
import { ROLE_NAME } from '../namespaces.ts';
import { loadKey, type AuthKey, type JwsAlgorithm } from './keys.ts';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Options of {@link createAuthenticator}. */
export interface AuthOptions {
  /** Verification keys, tried in order among those whose algorithm matches the token header. */
  readonly keys: readonly AuthKey[];
  /**
   * Expected `aud`: the token must carry one of these.
   * @default undefined - not checked, because a single-service deployment has no audience to name
   */
  readonly audience?: string | readonly string[];
  /**
   * Expected `iss`: the token must carry one of these.
   * @default undefined - not checked, for the same reason as `audience`
   */
  readonly issuer?: string | readonly string[];
  /**
   * Clock skew tolerated on `exp` and `nbf`, in milliseconds.
   * @default 5000 - enough for NTP-synchronised hosts, short enough that an expired token dies quickly
   */
  readonly clockToleranceMs?: number;
  /**
   * Largest token accepted, in bytes, checked before any decoding.
   * @default 8192 - real tokens are under 2 KiB; a cap stops a 100 KB token from costing base64 and JSON work
   */
  readonly maxTokenBytes?: number;
  /**
   * Whether a token without `exp` is refused.
   * @default true - a token that never expires cannot be revoked by time (OWASP: close on session expiry)
   */
  readonly requireExp?: boolean;
  /**
   * Claim holding the roles, a string or an array of strings.
   * @default 'roles'
   */
  readonly rolesClaim?: string;
  /**
   * Claim holding the user id: a non-empty string of `USER_ID` characters, at most `MAX_USER_ID_LENGTH` long. A token
   * without it fails with reason `missing_sub`, one whose value is not such a string with `bad_sub` (the reasons keep
   * their names whatever the claim, so metric labels stay stable).
   * @default 'sub' - the registered claim for the subject (RFC 7519 §4.1.2); set e.g. 'user_id' for issuers that put it elsewhere
   */
  readonly userIdClaim?: string;
  /**
   * Claim holding presence info (a JSON object shown to other members), or null to ignore it.
   * @default 'info'
   */
  readonly infoClaim?: string | null;
  /**
   * Roles given when no credential is presented; undefined refuses such connections.
   * @default undefined - anonymous access only where configured
   */
  readonly anonymousRoles?: readonly string[];
  /**
   * Current time in milliseconds since the epoch.
   * @default Date.now - injectable so tests of expiry need no sleeping
   */
  readonly now?: () => number;
}

function readRoles(payload: JWTPayload, claim: string): readonly string[] | null {
  const raw = payload[claim];
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length > MAX_ROLES) return null;
  for (const r of list) if (typeof r !== 'string' || !ROLE_NAME.test(r)) return null;
  return [...new Set(list as string[])];
}

function readInfo(payload: JWTPayload, claim: string | null): Readonly<Record<string, unknown>> | null | undefined {
  if (claim === null) return null;
  const raw = payload[claim];
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  // A copy through JSON drops any `__proto__` own key's special meaning (JSON.parse already made it a plain key).
  return Object.freeze(Object.assign(Object.create(null) as Record<string, unknown>, raw));
}

/** Maps a jose error to a reason. Claim errors are checked after the signature, so they imply a valid signature. */
function classify(err: unknown): AuthFailureReason {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return 'not_yet_valid';
      case 'aud':
        return 'bad_audience';
      case 'iss':
        return 'bad_issuer';
      case 'exp':
        return err.reason === 'missing' ? 'missing_exp' : 'expired';
      default:
        return 'malformed';
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys)
    return 'no_matching_key';
  return 'malformed';
}

/**
 * Verifies with one key, or with each key of a JWKS that matches the header when several do (a JWKS without `kid`
 * holding two RSA keys during a rotation); jose reports that case as an error carrying the candidates.
 */
async function verifyWith(
  token: string,
  key: KeyObject | JWTVerifyGetKey,
  options: JWTVerifyOptions,
): Promise<{ payload: JWTPayload }> {
  if (typeof key !== 'function') return jwtVerify(token, key, options);
  try {
    return await jwtVerify(token, key, options);
  } catch (err) {
    if (!(err instanceof joseErrors.JWKSMultipleMatchingKeys)) throw err;
    let last: unknown = err;
    for await (const candidate of err as unknown as AsyncIterable<JoseCryptoKey>) {
      try {
        return await jwtVerify(token, candidate, options);
      } catch (inner) {
        if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw inner;
        last = inner;
      }
    }
    throw last;
  }
}

/**
 * Builds an {@link Authenticator}: loads keys once, then verifies tokens against an algorithm allowlist bound to
 * each key's type, so `alg: none` and HS256-signed-with-the-RSA-public-key tokens are refused (RFC 8725 §2.1, §3.1).
 * @param options keys and claim rules
 * @returns the authenticator
 * @throws TypeError or RangeError when a key cannot be used (bad PEM, short secret, private key, empty JWKS)
 * @example
 * ```ts
 * const auth = await createAuthenticator({ keys: [{ type: 'secret', secret: 'a-secret-of-at-least-32-bytes-long!!' }] });
 * const result = await auth.authenticate(token);
 * if (!result.ok) console.log(result.failure.reason);
 * ```
 */
export async function createAuthenticator(options: AuthOptions): Promise<Authenticator> {
  const keys = options.keys.map(loadKey);
  // One frozen copy shared by every anonymous identity (a copy per connection cost an array on each idle session).
  const anonymousRoles = options.anonymousRoles === undefined ? undefined : Object.freeze([...options.anonymousRoles]);
  if (keys.length === 0 && anonymousRoles === undefined) {
    throw new TypeError('Cannot authenticate: no key configured and anonymous access is off');
  }
  const allowed = new Set<JwsAlgorithm>(keys.flatMap((k) => k.algorithms));
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const clockToleranceSec = (options.clockToleranceMs ?? 5000) / 1000;
  const requireExp = options.requireExp ?? true;
  const rolesClaim = options.rolesClaim ?? 'roles';
  const userIdClaim = options.userIdClaim ?? 'sub';
  if (typeof userIdClaim !== 'string' || userIdClaim === '')
    throw new TypeError('Cannot authenticate: userIdClaim must be a non-empty claim name');
  const infoClaim = options.infoClaim === undefined ? 'info' : options.infoClaim;
  const now = options.now ?? Date.now;
  const audience =
    typeof options.audience === 'string' ? options.audience : options.audience ? [...options.audience] : undefined;
  const issuer = typeof options.issuer === 'string' ? options.issuer : options.issuer ? [...options.issuer] : undefined;

  async function verify(token: string): Promise<AuthResult> {
    // Cap the size before decoding anything (docs/security-cases.md AU-07).
    if (token.length > maxTokenBytes) return fail('invalid_token', 'too_large');
    if (!COMPACT_JWS.test(token)) return fail('invalid_token', 'malformed');
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      return fail('invalid_token', 'malformed');
    }
    // RFC 8725 §3.1: "Libraries MUST enable the caller to specify a supported set of algorithms and MUST NOT use
    // any other algorithms when performing cryptographic operations." `none` is never in the set.
    if (typeof alg !== 'string' || !allowed.has(alg as JwsAlgorithm)) return fail('invalid_token', 'alg_not_allowed');
    const candidates = keys.filter(
      (k) => k.algorithms.includes(alg as JwsAlgorithm) && (k.kid === undefined || kid === undefined || k.kid === kid),
    );
    if (candidates.length === 0) return fail('invalid_token', 'no_matching_key');
    let last: AuthFailureReason = 'bad_signature';
    for (const candidate of candidates) {
      try {
        const verifyOptions = {
          algorithms: [...candidate.algorithms],
          clockTolerance: clockToleranceSec,
          currentDate: new Date(now()),
          requiredClaims: requireExp ? ['exp', userIdClaim] : [userIdClaim],
          ...(audience !== undefined ? { audience } : {}),
          ...(issuer !== undefined ? { issuer } : {}),
        };
        const { payload } = await verifyWith(token, candidate.key, verifyOptions);
        return toIdentity(payload);
      } catch (err) {
        if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === userIdClaim)
          return fail('invalid_token', 'missing_sub');
        last = classify(err);
        // Anything but a signature mismatch means this key verified the signature: do not try other keys.
        if (last !== 'bad_signature' && last !== 'no_matching_key') break;
      }
    }
    return fail(last === 'expired' ? 'token_expired' : 'invalid_token', last);
  }

  function toIdentity(payload: JWTPayload): AuthResult {
    const sub = payload[userIdClaim];
    if (sub === undefined || sub === null || sub === '') return fail('invalid_token', 'missing_sub');
    // A number or an object is not a user id (no coercion: 42 and "42" must not be two spellings of one user).
    if (typeof sub !== 'string' || sub.length > MAX_USER_ID_LENGTH || !USER_ID.test(sub))
      return fail('invalid_token', 'bad_sub');
    const roles = readRoles(payload, rolesClaim);
    if (roles === null) return fail('invalid_token', 'bad_roles');
    const info = readInfo(payload, infoClaim);
    if (info === undefined) return fail('invalid_token', 'bad_info');
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : null;
    return { ok: true, identity: { user: sub, roles, info, expiresAt, anonymous: false } };
  }

  return {
    allowsAnonymous: anonymousRoles !== undefined,
    async authenticate(token) {
      if (token === null || token === '') {
        if (anonymousRoles === undefined) return fail('missing_token', 'missing');
        return {
          ok: true,
          identity: {
            user: `anon-${randomBytes(16).toString('hex')}`,
            roles: anonymousRoles,
            info: null,
            expiresAt: null,
            anonymous: true,
          },
        };
      }
      if (keys.length === 0) return fail('invalid_token', 'no_matching_key');
      try {
        return await verify(token);
      } catch {
        return fail('invalid_token', 'malformed');
      }
    },
  };
}
