// HTTP transports: session ids `<node>.<secret>`: 128 random bits, looked up by their text, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Random bytes in a session id's secret: 128 bits, as the protocol's connection ids (docs/security-cases.md AU-13). */
const SECRET_BYTES = 16;
/** A node id (the hub's `nodeId`, a UUID) and a base64url secret of {@link SECRET_BYTES} bytes. */
const SESSION_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{22})$/;

/** A session id, read. */
export interface SessionIdParts {
  /** The node holding the session. */
  readonly node: string;
  /** The secret's bytes. */
  readonly secret: Buffer;
  /**
   * What the session is filed under: the secret's text. A `Map` lookup compares the strings' hashes first and their
   * characters only on a hash match, which a guess reaches only by chance; the secret itself is then compared in
   * constant time ({@link sameSecret}). (A SHA-256 per request used to be the key: a measurable cost per poll.)
   */
  readonly key: string;
}

/**
 * Mints a session id for this node.
 * @param node This node's id.
 * @returns The id and its parts.
 */
export function newSessionId(node: string): { readonly id: string } & SessionIdParts {
  const secret = randomBytes(SECRET_BYTES);
  const text = secret.toString('base64url');
  return { id: `${node}.${text}`, node, secret, key: text };
}

/**
 * Reads a session id as a client sent it.
 * @param value The `session` query parameter.
 * @returns Its parts, or null when it is not a session id at all.
 */
export function parseSessionId(value: string | null): SessionIdParts | null {
  if (value === null) return null;
  const match = SESSION_ID.exec(value);
  if (match === null) return null;
  const secret = Buffer.from(match[2]!, 'base64url');
  if (secret.length !== SECRET_BYTES) return null;
  return { node: match[1]!, secret, key: match[2]! };
}

/**
 * Whether a presented secret is the session's, compared in constant time.
 * @param expected The session's secret.
 * @param presented The secret the request carries.
 */
export function sameSecret(expected: Buffer, presented: Buffer): boolean {
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}
