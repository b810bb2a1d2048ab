// Realtime auth: finds the credential in an upgrade request (header, query, cookie); it reads, never verifies.

/** Request headers by lower-case name, as Node parses them (an `IncomingHttpHeaders` fits). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

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
  request: { readonly headers: RequestHeaders; readonly url?: string | undefined },
  options: ExtractOptions = {},
): ExtractedToken | null {
  const authorization = single(request.headers['authorization']);
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization);
    if (m?.[1] !== undefined) return { token: m[1], source: 'header' };
  }
  if (options.allowQuery ?? true) {
    const url = request.url ?? '';
    const q = url.indexOf('?');
    // Parsed only when it may name a token (a key spelled `token`, or percent-encoded): every long poll and send
    // comes through here, and most carry no token in the query.
    if (q !== -1 && (url.includes('token', q) || url.includes('%', q))) {
      const token = new URLSearchParams(url.slice(q + 1)).get('token');
      if (token !== null && token !== '') return { token, source: 'query' };
    }
  }
  const cookieName = options.cookieName ?? null;
  if (cookieName !== null) {
    const header = single(request.headers['cookie']);
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
