// Realtime: who is connecting. Verifies JWTs with jose and never throws on a bad token; sockets stay in the engine.
import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type CryptoKey as JoseCryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';

/** Asymmetric JWS algorithms we accept. Each is bound to one key type (RFC 7518 §3.1). */
export type AsymmetricAlgorithm = 'RS256' | 'ES256';
/** Every JWS algorithm we accept. `none` is never one of them (RFC 7519 §6, RFC 8725 §3.1). */
export type JwsAlgorithm = 'HS256' | AsymmetricAlgorithm;

/** One verification key. The algorithm is fixed by the key's type, never chosen by the token. */
export type AuthKey =
  /** A shared HS256 secret, at least 32 bytes. */
  | { readonly type: 'secret'; readonly secret: string | Uint8Array; readonly kid?: string }
  /**
   * A public key in PEM (SPKI `BEGIN PUBLIC KEY`, or PKCS#1 `BEGIN RSA PUBLIC KEY`).
   * RSA keys verify RS256 only; P-256 keys verify ES256 only.
   */
  | { readonly type: 'pem'; readonly pem: string; readonly kid?: string }
  /** A JSON Web Key Set (already parsed) or the path of a JWKS file. Only RS256/ES256 keys are used. */
  | { readonly type: 'jwks'; readonly jwks: JSONWebKeySet }
  | { readonly type: 'jwks-file'; readonly path: string };

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

/** Who a connection is, once authenticated. */
export interface Identity {
  /** The token's `sub`, or `anon-<32 hex digits>` (128 CSPRNG bits, SECURITY-CASES AU-13) for anonymous connections. */
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
  'missing', 'too_large', 'malformed', 'alg_not_allowed', 'no_matching_key', 'bad_signature', 'expired',
  'not_yet_valid', 'bad_audience', 'bad_issuer', 'missing_exp', 'missing_sub', 'bad_sub', 'bad_roles', 'bad_info',
];

/** A refused credential. */
export interface AuthFailure {
  readonly code: AuthFailureCode;
  readonly reason: AuthFailureReason;
}

/** The outcome of {@link Authenticator.authenticate}. */
export type AuthResult = { readonly ok: true; readonly identity: Identity } | { readonly ok: false; readonly failure: AuthFailure };

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
const USER_ID = /^[A-Za-z0-9_\-.@=+,~!]+$/;
const ROLE = /^[A-Za-z0-9_\-.:]{1,64}$/;
const MAX_ROLES = 32;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** RFC 7518 §3.2: "A key of the same size as the hash output (for instance, 256 bits for "HS256") or larger MUST be used". */
const MIN_HS256_SECRET_BYTES = 32;

interface LoadedKey {
  readonly algorithms: readonly JwsAlgorithm[];
  readonly kid: string | undefined;
  readonly key: KeyObject | JWTVerifyGetKey;
}

function fail(code: AuthFailureCode, reason: AuthFailureReason): AuthResult {
  return { ok: false, failure: { code, reason } };
}

/**
 * Reads an HS256 secret, refusing short secrets and PEM text (a public key used as an HMAC secret is the
 * algorithm-confusion attack, RFC 8725 §2.1).
 * @throws RangeError when the secret is shorter than 32 bytes; TypeError when it looks like a PEM key
 */
function secretKey(secret: string | Uint8Array): KeyObject {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (typeof secret === 'string' && secret.includes('-----BEGIN')) {
    throw new TypeError('Cannot use a PEM key as an HS256 secret: configure it as a public key');
  }
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new RangeError(`Cannot use an HS256 secret of ${bytes.byteLength} bytes: at least ${MIN_HS256_SECRET_BYTES} are required (RFC 7518 §3.2)`);
  }
  return createSecretKey(bytes);
}

/**
 * Reads a PEM public key and binds it to its one algorithm.
 * @throws TypeError for private keys, unsupported key types or curves
 */
function pemKey(pem: string): { key: KeyObject; alg: AsymmetricAlgorithm } {
  if (/PRIVATE KEY/.test(pem)) throw new TypeError('Cannot verify with a private key: configure the public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new TypeError('Cannot read the PEM public key', { cause });
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256' };
  throw new TypeError(`Cannot use a "${String(key.asymmetricKeyType)}" public key: only RSA (RS256) and P-256 (ES256) are supported`);
}

function jwksKey(jwks: JSONWebKeySet): LoadedKey {
  if (!Array.isArray(jwks.keys)) throw new TypeError('Cannot read the JWKS: "keys" must be an array');
  const usable = jwks.keys.filter((k) => k.kty === 'RSA' || (k.kty === 'EC' && k.crv === 'P-256'));
  if (usable.length === 0) throw new TypeError('Cannot use the JWKS: it holds no RSA or P-256 key');
  for (const k of usable) {
    if ('d' in k || 'p' in k) throw new TypeError('Cannot use the JWKS: it holds a private key');
  }
  const algorithms: JwsAlgorithm[] = [];
  if (usable.some((k) => k.kty === 'RSA')) algorithms.push('RS256');
  if (usable.some((k) => k.kty === 'EC')) algorithms.push('ES256');
  return { algorithms, kid: undefined, key: createLocalJWKSet({ keys: usable }) };
}

async function loadKey(spec: AuthKey): Promise<LoadedKey> {
  switch (spec.type) {
    case 'secret':
      return { algorithms: ['HS256'], kid: spec.kid, key: secretKey(spec.secret) };
    case 'pem': {
      const { key, alg } = pemKey(spec.pem);
      return { algorithms: [alg], kid: spec.kid, key };
    }
    case 'jwks':
      return jwksKey(spec.jwks);
    case 'jwks-file': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(spec.path, 'utf8'));
      } catch (cause) {
        throw new TypeError(`Cannot read the JWKS file "${spec.path}"`, { cause });
      }
      if (typeof parsed !== 'object' || parsed === null) throw new TypeError(`Cannot read the JWKS file "${spec.path}": not an object`);
      return jwksKey(parsed as JSONWebKeySet);
    }
    default:
      return assertNever(spec);
  }
}

function assertNever(x: never): never {
  throw new TypeError(`Unexpected value ${JSON.stringify(x)}`);
}

function readRoles(payload: JWTPayload, claim: string): readonly string[] | null {
  const raw = payload[claim];
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length > MAX_ROLES) return null;
  for (const r of list) if (typeof r !== 'string' || !ROLE.test(r)) return null;
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
      case 'nbf': return 'not_yet_valid';
      case 'aud': return 'bad_audience';
      case 'iss': return 'bad_issuer';
      case 'exp': return err.reason === 'missing' ? 'missing_exp' : 'expired';
      default: return 'malformed';
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) return 'no_matching_key';
  return 'malformed';
}

/**
 * Verifies with one key, or with each key of a JWKS that matches the header when several do (a JWKS without `kid`
 * holding two RSA keys during a rotation); jose reports that case as an error carrying the candidates.
 */
async function verifyWith(token: string, key: KeyObject | JWTVerifyGetKey, options: JWTVerifyOptions): Promise<{ payload: JWTPayload }> {
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
  const keys = await Promise.all(options.keys.map(loadKey));
  const anonymousRoles = options.anonymousRoles;
  if (keys.length === 0 && anonymousRoles === undefined) {
    throw new TypeError('Cannot authenticate: no key configured and anonymous access is off');
  }
  const allowed = new Set<JwsAlgorithm>(keys.flatMap((k) => k.algorithms));
  const maxTokenBytes = options.maxTokenBytes ?? 8192;
  const clockToleranceSec = (options.clockToleranceMs ?? 5000) / 1000;
  const requireExp = options.requireExp ?? true;
  const rolesClaim = options.rolesClaim ?? 'roles';
  const infoClaim = options.infoClaim === undefined ? 'info' : options.infoClaim;
  const now = options.now ?? Date.now;
  const audience = typeof options.audience === 'string' ? options.audience : options.audience ? [...options.audience] : undefined;
  const issuer = typeof options.issuer === 'string' ? options.issuer : options.issuer ? [...options.issuer] : undefined;

  async function verify(token: string): Promise<AuthResult> {
    // Cap the size before decoding anything (SECURITY-CASES AU-07).
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
          requiredClaims: requireExp ? ['exp', 'sub'] : ['sub'],
          ...(audience !== undefined ? { audience } : {}),
          ...(issuer !== undefined ? { issuer } : {}),
        };
        const { payload } = await verifyWith(token, candidate.key, verifyOptions);
        return toIdentity(payload);
      } catch (err) {
        if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'sub') return fail('invalid_token', 'missing_sub');
        last = classify(err);
        // Anything but a signature mismatch means this key verified the signature: do not try other keys.
        if (last !== 'bad_signature' && last !== 'no_matching_key') break;
      }
    }
    return fail(last === 'expired' ? 'token_expired' : 'invalid_token', last);
  }

  function toIdentity(payload: JWTPayload): AuthResult {
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0) return fail('invalid_token', 'missing_sub');
    if (sub.length > MAX_USER_ID_LENGTH || !USER_ID.test(sub)) return fail('invalid_token', 'bad_sub');
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
          identity: { user: `anon-${randomBytes(16).toString('hex')}`, roles: [...anonymousRoles], info: null, expiresAt: null, anonymous: true },
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
  if (!Number.isFinite(claims.ttlMs) || claims.ttlMs <= 0) throw new RangeError(`Cannot sign a token with ttlMs "${claims.ttlMs}": it must be positive`);
  // Refuse what createAuthenticator would refuse, so a minted token is never dead on arrival.
  if (claims.sub.length > MAX_USER_ID_LENGTH || !USER_ID.test(claims.sub)) {
    throw new RangeError(`Cannot sign a token for this sub: expected 1-${MAX_USER_ID_LENGTH} of A-Z a-z 0-9 _ - . @ = + , ~ !`);
  }
  for (const role of claims.roles ?? []) {
    if (!ROLE.test(role)) throw new RangeError(`Cannot sign a token with role "${role}": expected 1-64 of A-Z a-z 0-9 _ - . :`);
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
    else if (signingKey.asymmetricKeyType === 'ec' && signingKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') alg = 'ES256';
    else throw new TypeError(`Cannot sign with a "${String(signingKey.asymmetricKeyType)}" key: only RSA and P-256 are supported`);
  }
  const payload: JWTPayload = { [options.rolesClaim ?? 'roles']: [...(claims.roles ?? [])] };
  if (claims.info !== undefined) payload['info'] = claims.info;
  const jwt = new SignJWT(payload)
    .setProtectedHeader(key.kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: key.kid })
    .setSubject(claims.sub)
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + Math.ceil(claims.ttlMs / 1000));
  if (claims.audience !== undefined) jwt.setAudience(claims.audience);
  if (claims.issuer !== undefined) jwt.setIssuer(claims.issuer);
  return jwt.sign(signingKey);
}

/** Where a credential was found; the origin policy treats cookies differently (ambient credentials). */
export type CredentialSource = 'header' | 'query' | 'cookie';

/** Options of {@link extractToken}. */
export interface ExtractOptions {
  /**
   * Cookie carrying the token; null disables cookie auth.
   * @default null - cookies are ambient credentials that need an Origin check (CSWSH), so they are opt-in
   */
  readonly cookieName?: string | null;
  /**
   * Whether `?token=` is read.
   * @default true - browsers cannot set headers on a WebSocket; logs strip the parameter (see http/logger)
   */
  readonly allowQuery?: boolean;
}

/** A credential found in an upgrade request. */
export interface ExtractedToken {
  readonly token: string;
  readonly source: CredentialSource;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Finds the token in an upgrade request: `Authorization: Bearer`, then `?token=`, then the configured cookie.
 * @param request the request's headers and URL (an `IncomingMessage` fits)
 * @param options which sources are enabled
 * @returns the token and its source, or null when none is present
 */
export function extractToken(
  request: { readonly headers: IncomingHttpHeaders; readonly url?: string | undefined },
  options: ExtractOptions = {},
): ExtractedToken | null {
  const authorization = single(request.headers.authorization);
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization);
    if (m?.[1] !== undefined) return { token: m[1], source: 'header' };
  }
  if (options.allowQuery ?? true) {
    const url = request.url ?? '';
    const q = url.indexOf('?');
    if (q !== -1) {
      const token = new URLSearchParams(url.slice(q + 1)).get('token');
      if (token !== null && token !== '') return { token, source: 'query' };
    }
  }
  const cookieName = options.cookieName ?? null;
  if (cookieName !== null) {
    const header = single(request.headers.cookie);
    if (header !== undefined) {
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        if (part.slice(0, eq).trim() !== cookieName) continue;
        let value = part.slice(eq + 1).trim();
        if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
        if (value !== '') return { token: value, source: 'cookie' };
      }
    }
  }
  return null;
}
