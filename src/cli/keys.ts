// CLI: key material read from files for the realtime authenticator (the realtime layer does no file I/O).
import type { AuthKey } from '../realtime/index.ts';

/** A parsed JSON Web Key Set, as the realtime authenticator takes it. */
export type JsonWebKeySet = Extract<AuthKey, { readonly type: 'jwks' }>['jwks'];

/**
 * Parses the text of a JWKS file (RFC 7517 §5: a JSON object with a `keys` array). Which keys are usable is decided by
 * the authenticator, which refuses private keys and sets without an RSA or P-256 key.
 * @param text The file's content.
 * @param file The file's path, for messages.
 * @returns The key set.
 * @throws TypeError naming the file when the text is not JSON or not an object with a `keys` array
 */
export function parseJwks(text: string, file: string): JsonWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TypeError(`Cannot read the JWKS file "${file}": not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`Cannot read the JWKS file "${file}": not a JSON object`);
  }
  if (!Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new TypeError(`Cannot read the JWKS file "${file}": "keys" must be an array`);
  }
  return parsed as JsonWebKeySet;
}
