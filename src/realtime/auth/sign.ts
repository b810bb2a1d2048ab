// Realtime auth: mints tokens the verifier accepts, for `switchboard token` and tests.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { MAX_USER_ID_LENGTH, USER_ID } from './identity.ts';
import { ROLE_NAME } from '../namespaces.ts';
import { secretKey, type JwsAlgorithm } from './keys.ts';

/** A key that signs tokens: an HS256 secret or a PEM private key (RSA signs RS256, P-256 signs ES256). */
export type SigningKey =
  | { readonly type: 'secret'; readonly secret: string | Uint8Array; readonly kid?: string }
  | { readonly type: 'pem'; readonly pem: string; readonly kid?: string };

/** Claims of {@link signToken}. */
export interface TokenClaims {
  readonly sub: string;
  readonly roles?: readonly string[];
  /** Lifetime in milliseconds from now. */
  readonly ttlMs: number;
  readonly info?: Readonly<Record<string, unknown>>;
  readonly audience?: string;
  readonly issuer?: string;
}

/** Options of {@link signToken}. */
export interface SignOptions {
  /**
   * Current time in milliseconds since the epoch.
   * @default Date.now - injectable so tests can mint already-expired tokens
   */
  readonly now?: () => number;
  /**
   * Claim receiving the roles.
   * @default 'roles'
   */
  readonly rolesClaim?: string;
  /**
   * Claim receiving the user id (`claims.sub`); match the verifier's `userIdClaim`.
   * @default 'sub'
   */
  readonly userIdClaim?: string;
}

/**
 * Mints a JWT, for `switchboard token` and tests.
 * @param claims subject, roles, lifetime
 * @param key the signing key
 * @param options clock and claim name
 * @returns the compact JWS
 * @throws TypeError for an unusable key; RangeError for a non-positive `ttlMs`, a short secret, or a `sub` or role the
 *   verifier would refuse
 * @example
 * ```ts
 * const token = await signToken({ sub: 'alice', roles: ['admin'], ttlMs: 3_600_000 }, { type: 'secret', secret: process.env.SECRET! });
 * ```
 */
export async function signToken(claims: TokenClaims, key: SigningKey, options: SignOptions = {}): Promise<string> {
  if (!Number.isFinite(claims.ttlMs) || claims.ttlMs <= 0)
    throw new RangeError(`Cannot sign a token with ttlMs "${claims.ttlMs}": it must be positive`);
  // Refuse what createAuthenticator would refuse, so a minted token is never dead on arrival.
  if (claims.sub.length > MAX_USER_ID_LENGTH || !USER_ID.test(claims.sub)) {
    throw new RangeError(
      `Cannot sign a token for this sub: expected 1-${MAX_USER_ID_LENGTH} of A-Z a-z 0-9 _ - . @ = + , ~ !`,
    );
  }
  for (const role of claims.roles ?? []) {
    if (!ROLE_NAME.test(role))
      throw new RangeError(`Cannot sign a token with role "${role}": expected 1-64 of A-Z a-z 0-9 _ - . :`);
  }
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000);
  let alg: JwsAlgorithm;
  let signingKey: KeyObject;
  if (key.type === 'secret') {
    alg = 'HS256';
    signingKey = secretKey(key.secret);
  } else {
    try {
      signingKey = createPrivateKey(key.pem);
    } catch (cause) {
      throw new TypeError('Cannot read the PEM private key', { cause });
    }
    if (signingKey.asymmetricKeyType === 'rsa') alg = 'RS256';
    else if (signingKey.asymmetricKeyType === 'ec' && signingKey.asymmetricKeyDetails?.namedCurve === 'prime256v1')
      alg = 'ES256';
    else
      throw new TypeError(
        `Cannot sign with a "${String(signingKey.asymmetricKeyType)}" key: only RSA and P-256 are supported`,
      );
  }
  const payload: JWTPayload = { [options.rolesClaim ?? 'roles']: [...(claims.roles ?? [])] };
  if (claims.info !== undefined) payload['info'] = claims.info;
  const userIdClaim = options.userIdClaim ?? 'sub';
  if (userIdClaim !== 'sub') payload[userIdClaim] = claims.sub;
  const jwt = new SignJWT(payload)
    .setProtectedHeader(key.kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: key.kid })
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + Math.ceil(claims.ttlMs / 1000));
  if (userIdClaim === 'sub') jwt.setSubject(claims.sub);
  if (claims.audience !== undefined) jwt.setAudience(claims.audience);
  if (claims.issuer !== undefined) jwt.setIssuer(claims.issuer);
  return jwt.sign(signingKey);
}
