// Sans-I/O handshake: reading header maps and writing header lines safely. No sockets, no timers.
import type { HandshakeErrorCode } from './codes.ts';
import { handshakeError } from './codes.ts';
import { isToken } from './header-tokens.ts';

/** A Node-style header map: lower-case names; arrays for repeated lines (`headersDistinct`). */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Reads an own property only, so a polluted `Object.prototype` can never supply a header. */
function raw(headers: HeaderMap, name: string): string | readonly string[] | undefined {
  if (!Object.hasOwn(headers, name)) return undefined;
  const value = headers[name];
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as readonly string[];
  throw new TypeError(`Cannot read header "${name}": expected a string or an array of strings`);
}

/** Strips OWS (SP / HTAB) at both ends, in one pass from each side. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Reads a header that must appear at most once. An array with several lines is a duplicate
 * (400 `WS_ERR_DUPLICATE_HEADER`). Surrounding OWS is not part of the value (RFC 7230 §3.2.4).
 */
export function singleHeader(
  headers: HeaderMap,
  name: string,
  failure: { status: number; code?: HandshakeErrorCode },
): string | undefined {
  const value = raw(headers, name);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return trimOws(value);
  if (value.length === 0) return undefined;
  if (value.length > 1) {
    throw handshakeError(`Cannot accept header "${name}": it appears ${value.length} times`, {
      code: failure.code ?? 'WS_ERR_DUPLICATE_HEADER',
      status: failure.status,
    });
  }
  return trimOws(value[0] as string);
}

/** Reads a list header; repeated lines are joined with `", "` (RFC 7230 §3.2.2). */
export function listHeader(headers: HeaderMap, name: string): string | undefined {
  const value = raw(headers, name);
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/**
 * Removes every control character except HTAB (CR, LF and NUL included) from a header value we
 * are about to write, so a value can never end the header line or start a new one (response
 * splitting). Node's own `http` rejects the same characters.
 */
export function sanitizeHeaderValue(value: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      out += value.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return runStart === 0 ? value : out + value.slice(runStart);
}

/**
 * Formats caller-supplied extra headers as `Name: value\r\n` lines.
 * @throws {TypeError} when a name is not a token or is one the builder writes itself
 */
export function formatExtraHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  reserved: ReadonlySet<string>,
): string {
  if (headers === undefined) return '';
  let out = '';
  for (const [name, value] of Object.entries(headers)) {
    if (!isToken(name)) throw new TypeError('Cannot write header: the name is not a token');
    if (reserved.has(name.toLowerCase())) throw new TypeError(`Cannot write header "${name}": it is set by the handshake`);
    if (typeof value !== 'string') throw new TypeError(`Cannot write header "${name}": the value is not a string`);
    out += `${name}: ${sanitizeHeaderValue(value)}\r\n`;
  }
  return out;
}
