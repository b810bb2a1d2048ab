// HTTP transports: session ids `<node>.<secret>`: 128 random bits, looked up by their text, compared in constant time.
// Read on every poll and POST, so reading one allocates no Buffer and no regular-expression match: only its parts.
import { randomBytes } from 'node:crypto';

/** Random bytes in a session id's secret: 128 bits, as the protocol's connection ids (docs/security-cases.md AU-13). */
const SECRET_BYTES = 16;
/** Characters of the secret: {@link SECRET_BYTES} bytes in unpadded base64url. */
const SECRET_CHARS = Math.ceil((SECRET_BYTES * 8) / 6);
/** Characters of a node id: the hub's `nodeId`, a lowercase UUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const NODE_CHARS = 36;
/** Where a node id has its dashes. */
const UUID_DASHES: readonly number[] = [8, 13, 18, 23];
/** A session id's length: the node, a dot, the secret. */
const SESSION_ID_CHARS = NODE_CHARS + 1 + SECRET_CHARS;

const DASH = 0x2d;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const LOWER_A = 0x61;
const LOWER_F = 0x66;
const LOWER_Z = 0x7a;

/** A session id, read. */
export interface SessionIdParts {
  /** The node holding the session. */
  readonly node: string;
  /**
   * What the session is filed under: the secret's text. A `Map` lookup compares the strings' hashes first and their
   * characters only on a hash match, which a guess reaches only by chance; the secret itself is then compared in
   * constant time ({@link sameSecret}). (A SHA-256 per request used to be the key: a measurable cost per poll; a
   * Buffer of the secret's bytes per request after that.)
   */
  readonly key: string;
}

/**
 * Mints a session id for this node.
 * @param node This node's id.
 * @returns The id and its parts.
 */
export function newSessionId(node: string): { readonly id: string } & SessionIdParts {
  const key = randomBytes(SECRET_BYTES).toString('base64url');
  return { id: `${node}.${key}`, node, key };
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

function isLowerHex(c: number): boolean {
  return isDigit(c) || (c >= LOWER_A && c <= LOWER_F);
}

function isBase64Url(c: number): boolean {
  return (
    isDigit(c) || (c >= UPPER_A && c <= UPPER_Z) || (c >= LOWER_A && c <= LOWER_Z) || c === DASH || c === UNDERSCORE
  );
}

/**
 * Reads a session id as a client sent it: a lowercase UUID, a dot, 22 base64url characters, nothing else.
 * @param value The `session` query parameter.
 * @returns Its parts, or null when it is not a session id at all.
 */
export function parseSessionId(value: string | null): SessionIdParts | null {
  if (value === null || value.length !== SESSION_ID_CHARS || value.charCodeAt(NODE_CHARS) !== DOT) return null;
  let dash = 0;
  for (let i = 0; i < NODE_CHARS; i++) {
    const c = value.charCodeAt(i);
    if (i === UUID_DASHES[dash]) {
      if (c !== DASH) return null;
      dash++;
    } else if (!isLowerHex(c)) return null;
  }
  for (let i = NODE_CHARS + 1; i < SESSION_ID_CHARS; i++) if (!isBase64Url(value.charCodeAt(i))) return null;
  return { node: value.slice(0, NODE_CHARS), key: value.slice(NODE_CHARS + 1) };
}

/**
 * Whether a presented secret is the session's, compared in constant time (every character, whatever differs).
 * @param expected The session's secret text.
 * @param presented The secret text the request carries.
 */
export function sameSecret(expected: string, presented: string): boolean {
  if (expected.length !== presented.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ presented.charCodeAt(i);
  return diff === 0;
}
