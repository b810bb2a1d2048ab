// Realtime auth: verification keys, each bound to the one algorithm its type allows. No file I/O: callers pass key material.
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { assertNever } from '../../messages/index.ts';

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
  /** A JSON Web Key Set, already parsed (the CLI reads JWKS files). Only RS256/ES256 keys are used. */
  | { readonly type: 'jwks'; readonly jwks: JSONWebKeySet };

/** RFC 7518 §3.2: "A key of the same size as the hash output (for instance, 256 bits for "HS256") or larger MUST be used". */
const MIN_HS256_SECRET_BYTES = 32;

/** A verification key ready for jose, with the algorithms it may verify. */
export interface LoadedKey {
  readonly algorithms: readonly JwsAlgorithm[];
  readonly kid: string | undefined;
  readonly key: KeyObject | JWTVerifyGetKey;
}

/**
 * Reads an HS256 secret, refusing short secrets and PEM text (a public key used as an HMAC secret is the
 * algorithm-confusion attack, RFC 8725 §2.1).
 * @throws RangeError when the secret is shorter than 32 bytes; TypeError when it looks like a PEM key
 */
export function secretKey(secret: string | Uint8Array): KeyObject {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (typeof secret === 'string' && secret.includes('-----BEGIN')) {
    throw new TypeError('Cannot use a PEM key as an HS256 secret: configure it as a public key');
  }
  if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
    throw new RangeError(
      `Cannot use an HS256 secret of ${bytes.byteLength} bytes: at least ${MIN_HS256_SECRET_BYTES} are required (RFC 7518 §3.2)`,
    );
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
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return { key, alg: 'ES256' };
  throw new TypeError(
    `Cannot use a "${String(key.asymmetricKeyType)}" public key: only RSA (RS256) and P-256 (ES256) are supported`,
  );
}

/** Keeps the public RSA and P-256 keys of a JWKS; refuses private keys and sets with none usable. */
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

/**
 * Turns a key as configured into one jose can verify with.
 * @param spec The key material.
 * @returns The key and the algorithms it may verify.
 * @throws TypeError or RangeError when the key cannot be used (bad PEM, short secret, private key, empty JWKS)
 */
export function loadKey(spec: AuthKey): LoadedKey {
  switch (spec.type) {
    case 'secret':
      return { algorithms: ['HS256'], kid: spec.kid, key: secretKey(spec.secret) };
    case 'pem': {
      const { key, alg } = pemKey(spec.pem);
      return { algorithms: [alg], kid: spec.kid, key };
    }
    case 'jwks':
      return jwksKey(spec.jwks);
    default:
      return assertNever(spec);
  }
}
