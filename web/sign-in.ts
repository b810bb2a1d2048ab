// Chat page (browser): the chosen name: development tokens from the server, and the name remembered for this tab
// (sessionStorage: a reload signs in again, another tab may be someone else, closing the tab forgets it).

const NAME_KEY = 'switchboard-chat:name';

/** Why a token could not be had, with the server's own explanation when it gave one. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  /** true when the server refused the name (trying again will not help); false when it could not be reached. */
  readonly refused: boolean;

  constructor(message: string, refused: boolean) {
    super(message);
    this.refused = refused;
  }
}

/**
 * A development token for `name` (`POST /api/dev-token`), or undefined for an anonymous session (empty name).
 * @throws {SignInError} The server's message (an invalid name, a server without development tokens), or why the
 *   server could not be reached.
 */
export async function fetchToken(name: string): Promise<string | undefined> {
  if (name === '') return undefined;
  let res: Response;
  try {
    res = await fetch('/api/dev-token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: name }),
    });
  } catch {
    throw new SignInError('Cannot reach the server to sign in: is it running?', false);
  }
  if (res.status === 404)
    throw new SignInError('This server does not hand out names (not in development mode): leave the name empty', true);
  const body = (await res.json().catch(() => null)) as { token?: unknown; message?: unknown } | null;
  if (!res.ok || typeof body?.token !== 'string') {
    const said = typeof body?.message === 'string' ? body.message : res.statusText;
    throw new SignInError(`Cannot sign in as "${name}": ${said} (HTTP ${res.status})`, res.status < 500);
  }
  return body.token;
}

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage disabled (privacy settings): the page still works, without remembering
  }
}

/** The name this tab signed in with, or null when it has not (or signed out). `''` is an anonymous session. */
export function rememberedName(): string | null {
  return storage()?.getItem(NAME_KEY) ?? null;
}

export function rememberName(name: string): void {
  storage()?.setItem(NAME_KEY, name);
}

export function forgetName(): void {
  storage()?.removeItem(NAME_KEY);
}
