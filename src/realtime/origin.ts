// Realtime: which browser origins may open a connection. Pure decision over header values; no I/O.
import type { CredentialSource } from './auth/credentials.ts';

/** Options of {@link createOriginPolicy}. */
export interface OriginPolicyOptions {
  /**
   * Origins allowed to connect, each `scheme://host[:port]`, compared exactly after lower-casing.
   * `null` is allowed only when listed literally (sandboxed iframes and `file:` pages send it).
   * @default [] - no browser origin is trusted until configured (CWE-1385)
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Whether the only configured credential is a cookie. Then a request without `Origin` is refused, because it
   * cannot be told apart from a browser sending ambient credentials.
   * @default false
   */
  readonly cookieOnly?: boolean;
}

/** Why an origin was refused; a bounded set, safe as a metric label. */
export type OriginRefusal = 'origin_not_allowed' | 'origin_missing' | 'origin_invalid';

/** The outcome of {@link OriginPolicy.check}. */
export type OriginDecision =
  | { readonly ok: true; readonly origin: string | null }
  | { readonly ok: false; readonly status: 403; readonly reason: OriginRefusal };

/** Decides whether an upgrade's `Origin` may connect; built by {@link createOriginPolicy}. */
export interface OriginPolicy {
  /**
   * @param origin the `Origin` header value(s) as Node gives them, undefined when absent
   * @param credential where the request's credential came from (see `extractToken`), null when none
   * @returns allow, or refuse with HTTP 403 and a reason
   */
  check(origin: string | readonly string[] | undefined, credential: CredentialSource | null): OriginDecision;
  /** The normalised allowlist. */
  readonly allowed: ReadonlySet<string>;
}

/**
 * Normalises a configured origin to its ASCII serialization (RFC 6454 §6.2): lower-case scheme and host, the
 * default port dropped, no path, query or fragment.
 * @param origin e.g. `https://App.Example.com:443`
 * @returns e.g. `https://app.example.com`
 * @throws TypeError when the value is not an http(s) origin (or the literal `null`)
 */
export function normalizeOrigin(origin: string): string {
  if (origin === 'null') return 'null';
  let url: URL;
  try {
    url = new URL(origin);
  } catch (cause) {
    throw new TypeError(`Cannot use origin "${origin}": not a URL`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Cannot use origin "${origin}": the scheme must be http or https`);
  }
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(`Cannot use origin "${origin}": an origin has no path, query, fragment or credentials`);
  }
  if (/[*]/.test(origin)) throw new TypeError(`Cannot use origin "${origin}": wildcards are not supported`);
  return url.origin.toLowerCase();
}

/**
 * Builds the origin policy of docs/security-cases.md AU-01..AU-03: exact match against an allowlist, no substring or
 * suffix matching, and a missing `Origin` accepted only from clients that present a non-cookie credential
 * or no credential at all (RFC 6455 §4.2.1 (7): a request without it "SHOULD NOT be interpreted as coming from a
 * browser client").
 * @param options the allowlist and whether auth is cookie-only
 * @returns the policy
 * @throws TypeError when an allowlist entry is not an origin
 * @example
 * ```ts
 * const policy = createOriginPolicy({ allowedOrigins: ['https://app.example.com'] });
 * policy.check('https://app.example.com.evil.com', 'header'); // { ok: false, status: 403, reason: 'origin_not_allowed' }
 * ```
 */
export function createOriginPolicy(options: OriginPolicyOptions = {}): OriginPolicy {
  const allowed = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const cookieOnly = options.cookieOnly ?? false;
  return {
    allowed,
    check(origin, credential) {
      if (Array.isArray(origin)) return { ok: false, status: 403, reason: 'origin_invalid' };
      if (origin === undefined || origin === '') {
        // A cookie is sent by browsers automatically; without Origin we cannot rule out cross-site use (AU-02).
        if (cookieOnly || credential === 'cookie') return { ok: false, status: 403, reason: 'origin_missing' };
        return { ok: true, origin: null };
      }
      // RFC 6455 §4.2.2 /origin/: "The origin is serialized to ASCII and converted to lowercase", so the comparison
      // is on lower-cased strings and nothing else is normalised: the whole value must match.
      const value = (origin as string).toLowerCase();
      if (allowed.has(value)) return { ok: true, origin: value };
      // RFC 6455 §4.2.2 /origin/: "If the server does not wish to accept this connection, it MUST return an
      // appropriate HTTP error code (e.g., 403 Forbidden)".
      return { ok: false, status: 403, reason: 'origin_not_allowed' };
    },
  };
}

/** Longest `Origin` echoed in a 403 body or a log line; real origins are far shorter. */
export const MAX_SHOWN_ORIGIN_LENGTH = 128;

/**
 * The refused `Origin` as it may be shown to the client and the operator: printable ASCII only (an origin is ASCII,
 * RFC 6454 §6.2), other characters as `?`, cut at {@link MAX_SHOWN_ORIGIN_LENGTH}.
 * @param origin the header value(s) as Node gives them
 * @returns e.g. `http://evil.example`; `(none)` when absent, `(several)` when sent more than once
 */
export function shownOrigin(origin: string | readonly string[] | undefined): string {
  if (origin === undefined || origin === '') return '(none)';
  if (typeof origin !== 'string') return '(several)';
  const printable = origin.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_SHOWN_ORIGIN_LENGTH ? `${printable.slice(0, MAX_SHOWN_ORIGIN_LENGTH)}...` : printable;
}

/**
 * The plain-text body of the 403 answer: what was refused, never more of the request than the shown origin.
 * @param reason why the origin was refused
 * @param shown the origin from {@link shownOrigin}
 */
export function originRefusalBody(reason: OriginRefusal, shown: string): string {
  switch (reason) {
    case 'origin_not_allowed':
      return `Origin ${shown} is not allowed to open a WebSocket on this server\n`;
    case 'origin_missing':
      return 'An Origin header is required with a cookie credential\n';
    case 'origin_invalid':
      return 'The request must carry exactly one Origin header\n';
  }
}
