// CLI: `switchboard token` mints a JWT with the key the server is configured with (for development and scripts).
import { signToken } from '../realtime/index.ts';
import { ConfigError, loadAuthConfig, signingKeyFrom, wantsHelp } from './config.ts';

/** Where `run` reads and writes; injectable for tests. */
export interface TokenIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default Date.now */
  readonly now?: () => number;
}

const USAGE = [
  'Usage: switchboard token --sub <user> [--role <role>]... [--ttl 1h] [--info <json>] [--aud <aud>] [--iss <iss>]',
  '                         [--dev | --config <file>] [--private-key-file <pem>]',
  '',
  'Prints a JWT signed with the configured key: auth.privateKeyFile (RS256/ES256) or the HS256 secret.',
  '  --sub <user>              the token subject (user id)',
  '  --role <role>             a role (repeatable)',
  '  --ttl <duration>          lifetime: 90s, 30m, 1h, 7d, or seconds (default 1h)',
  '  --info <json>             presence info object, e.g. \'{"name":"Alice"}\'',
  '  --dev                     use the development config (the key `npm start` verifies with)',
  '  --config <file>           use this config file (also SWITCHBOARD_CONFIG and SWITCHBOARD_* variables)',
].join('\n');

/** What to do when no key can sign: every way to give one. */
const NO_KEY = [
  'no signing key is configured. Set one of:',
  '  SWITCHBOARD_AUTH__HS256_SECRET=<32+ bytes>   (or --set auth.hs256Secret=..., or auth.hs256Secret in --config <file>)',
  '  SWITCHBOARD_AUTH__HS256_SECRET_FILE=<file>   (or --set auth.hs256SecretFile=<file>)',
  '  --private-key-file <pem>                    (or SWITCHBOARD_AUTH__PRIVATE_KEY_FILE) to sign RS256/ES256',
  'or pass --dev to sign with the development key that `switchboard serve --dev` accepts.',
].join('\n');

const UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longest lifetime `--ttl` accepts: a year. Longer-lived tokens should not exist. */
const MAX_TTL_MS = 365 * 86_400_000;

/**
 * Parses a duration such as `90s`, `30m`, `1h`, `7d`, `500ms`, or a bare number of seconds.
 * @param text the duration
 * @returns milliseconds, or null when the text is not a positive duration up to a year
 */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * (UNITS_MS[m[2] ?? 's'] ?? 1000);
  return ms > 0 && ms <= MAX_TTL_MS ? ms : null;
}

/**
 * Runs `switchboard token`.
 * @param argv arguments after `token`
 * @param io streams and environment
 * @returns the exit code: 0 printed a token, 1 configuration problem, 2 usage error
 * @example
 * ```ts
 * await run(['--dev', '--sub', 'alice', '--role', 'admin', '--ttl', '1h']);
 * ```
 */
export async function run(
  argv: string[],
  io: TokenIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let loaded;
  try {
    // Only the auth section is validated: signing needs a key, not a servable configuration (TLS, workers, ...).
    loaded = await loadAuthConfig({
      argv,
      env: io.env,
      extraFlags: {
        sub: { type: 'string' },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string' },
        info: { type: 'string' },
        aud: { type: 'string' },
        iss: { type: 'string' },
        'private-key-file': { type: 'string' },
      },
    });
  } catch (err) {
    io.stderr.write(`switchboard token: ${err instanceof Error ? err.message : String(err)}\n`);
    if (
      err instanceof ConfigError &&
      !argv.includes('--dev') &&
      !argv.includes('--config') &&
      io.env['SWITCHBOARD_CONFIG'] === undefined
    ) {
      io.stderr.write('Hint: pass --dev for the development key, or --config <file>\n');
    }
    return 1;
  }
  const flags = loaded.extraFlags;
  const sub = flags['sub'];
  if (typeof sub !== 'string' || sub === '') {
    io.stderr.write(`switchboard token: --sub is required\n\n${USAGE}\n`);
    return 2;
  }
  const ttlMs = parseDuration(typeof flags['ttl'] === 'string' ? flags['ttl'] : '1h');
  if (ttlMs === null) {
    io.stderr.write('switchboard token: --ttl must be a positive duration up to 365d (e.g. 90s, 30m, 1h, 7d)\n');
    return 2;
  }
  let info: Record<string, unknown> | undefined;
  if (typeof flags['info'] === 'string') {
    try {
      const parsed: unknown = JSON.parse(flags['info']);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not an object');
      info = parsed as Record<string, unknown>;
    } catch {
      io.stderr.write('switchboard token: --info must be a JSON object\n');
      return 2;
    }
  }
  let config = loaded.config;
  if (typeof flags['private-key-file'] === 'string')
    config = { ...config, auth: { ...config.auth, privateKeyFile: flags['private-key-file'] } };
  try {
    const key = await signingKeyFrom(config);
    if (key === null) {
      io.stderr.write(`switchboard token: ${NO_KEY}\n`);
      return 1;
    }
    const audience = typeof flags['aud'] === 'string' ? flags['aud'] : config.auth.audience;
    const issuer = typeof flags['iss'] === 'string' ? flags['iss'] : config.auth.issuer;
    const token = await signToken(
      {
        sub,
        roles: Array.isArray(flags['role']) ? (flags['role'] as string[]) : [],
        ttlMs,
        ...(info !== undefined ? { info } : {}),
        ...(audience !== undefined ? { audience } : {}),
        ...(issuer !== undefined ? { issuer } : {}),
      },
      key,
      {
        rolesClaim: config.auth.rolesClaim,
        userIdClaim: config.auth.userIdClaim,
        ...(io.now !== undefined ? { now: io.now } : {}),
      },
    );
    io.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`switchboard token: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
