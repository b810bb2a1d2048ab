// CLI: the token of the client commands (`connect`, `bench`): the --token flag, else the SWITCHBOARD_TOKEN variable.

/** The variable the client commands read their token from when no --token is given (never read by `serve`). */
export const TOKEN_VARIABLE = 'SWITCHBOARD_TOKEN';

/** The help line of the client commands' --token option (same column layout as their other options). */
export const TOKEN_HELP = `  -t, --token JWT       token to connect with (default: $${TOKEN_VARIABLE} when set)`;

/** The token a client command connects with, and where it came from (for error messages). */
export interface ClientToken {
  readonly token: string;
  readonly source: '--token' | typeof TOKEN_VARIABLE;
}

/**
 * Picks the token a client command connects with.
 * @param flag the --token value, undefined when the flag was not given
 * @param env the environment (an empty SWITCHBOARD_TOKEN counts as unset)
 * @returns the token and where it came from, null for none, or a usage error message
 */
export function clientToken(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ClientToken | null | string {
  const fromEnv = env[TOKEN_VARIABLE];
  const picked: ClientToken | null =
    flag !== undefined
      ? { token: flag, source: '--token' }
      : fromEnv !== undefined && fromEnv !== ''
        ? { token: fromEnv, source: TOKEN_VARIABLE }
        : null;
  if (picked === null) return null;
  // A token goes into a header or a JSON message: printable ASCII only, so a stray newline cannot split a header.
  if (!/^[\x21-\x7e]+$/.test(picked.token)) return `invalid ${picked.source}: expected printable ASCII without spaces`;
  return picked;
}
