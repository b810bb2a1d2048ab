// CLI: `switchboard ban / unban / bans`: moderation through the HTTP API of a running server, with an API key.
import { parseArgs } from 'node:util';
import { MAX_BAN_MS, MAX_MODERATION_REASON_LENGTH } from '../realtime/index.ts';

/** The variable holding the server's base URL when no --url is given. */
export const URL_VARIABLE = 'SWITCHBOARD_URL';
/** The variable holding the API key when no --api-key is given. */
export const API_KEY_VARIABLE = 'SWITCHBOARD_API_KEY';
/** Where the commands go without --url or the variable: the default `switchboard serve` address. */
const DEFAULT_URL = 'http://127.0.0.1:8080';
/** How long the server has to answer, in milliseconds: a moderation call is one Redis round trip or two. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The moderation commands. */
export type ModerationCommand = 'ban' | 'unban' | 'bans';

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Help text of each command. */
export const USAGE: Readonly<Record<ModerationCommand, string>> = {
  ban: `Usage: switchboard ban <user> --duration <d> [--reason <text>] [--url URL] [--api-key KEY] [--json]

Bans a user on every node of the server for a while: their connections close now (4504) and connect,
refresh and subscribe are refused until the ban ends. Calls POST /api/ban.

Options:
  -d, --duration D    how long: 90s, 30m, 1h, 7d, 2w (or seconds); at most a year
  -r, --reason TEXT   why (shown by \`switchboard bans\`), at most ${MAX_MODERATION_REASON_LENGTH} characters`,
  unban: `Usage: switchboard unban <user> [--url URL] [--api-key KEY] [--json]

Lifts a ban on every node. Calls POST /api/unban.

Options:`,
  bans: `Usage: switchboard bans [--url URL] [--api-key KEY] [--json]

Lists the bans in force, soonest ending first. Calls GET /api/bans.

Options:`,
};

const COMMON_HELP = `  -u, --url URL       the server (default: $${URL_VARIABLE}, else ${DEFAULT_URL})
  -k, --api-key KEY   one of the server's apiKeys (default: $${API_KEY_VARIABLE})
      --json          print the server's JSON answer
  -h, --help          show this help

Exit status: 0 on success, 1 when the server refused or could not be reached, 2 on usage errors.`;

/**
 * Parses a duration: `90s`, `30m`, `1h`, `7d`, `2w`, or a number of seconds.
 * @param text What the user typed.
 * @returns Milliseconds, or null when it is not a duration from 1 s to a year.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  if (match === null) return null;
  const ms = Number(match[1]) * (UNITS[match[2] === '' ? 's' : match[2]!] ?? 1000);
  return ms >= 1000 && ms <= MAX_BAN_MS ? ms : null;
}

interface Parsed {
  readonly url: string;
  readonly apiKey: string;
  readonly json: boolean;
  readonly user?: string;
  readonly durationMs?: number;
  readonly reason?: string;
}

function parse(
  command: ModerationCommand,
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
): Parsed | string | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string', short: 'u' },
        'api-key': { type: 'string', short: 'k' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...(command === 'ban'
          ? { duration: { type: 'string', short: 'd' }, reason: { type: 'string', short: 'r' } }
          : {}),
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return (err as Error).message;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help'] === true) return null;
  const url = (values['url'] as string | undefined) ?? env[URL_VARIABLE] ?? DEFAULT_URL;
  if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) return `invalid URL "${url}": expected http(s)://host:port`;
  const apiKey = (values['api-key'] as string | undefined) ?? env[API_KEY_VARIABLE] ?? '';
  if (apiKey === '') return `an API key is required: --api-key or $${API_KEY_VARIABLE}`;
  if (!/^[\x21-\x7e]+$/.test(apiKey)) return 'invalid API key: expected printable ASCII without spaces';
  const base = { url: url.replace(/\/$/, ''), apiKey, json: values['json'] === true };
  if (command === 'bans') return parsed.positionals.length === 0 ? base : 'bans takes no arguments';
  if (parsed.positionals.length !== 1) return 'expected exactly one user';
  const user = parsed.positionals[0]!;
  if (command === 'unban') return { ...base, user };
  const duration = values['duration'] as string | undefined;
  if (duration === undefined) return '--duration is required (90s, 30m, 1h, 7d, 2w)';
  const durationMs = parseDuration(duration);
  if (durationMs === null) return `invalid --duration "${duration}": 1s to a year, as 90s, 30m, 1h, 7d or 2w`;
  return { ...base, user, durationMs, reason: (values['reason'] as string | undefined) ?? '' };
}

async function call(
  args: Parsed,
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
): Promise<{ status: number; data: Record<string, unknown> }> {
  const response = await fetch(`${args.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${args.apiKey}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    data = { error: 'bad_response', message: `HTTP ${response.status} without a JSON body` };
  }
  return { status: response.status, data };
}

function describe(command: ModerationCommand, args: Parsed, data: Record<string, unknown>): string {
  if (command === 'ban') {
    const until = new Date(Number(data['until'])).toISOString();
    return `banned ${args.user} until ${until}${args.reason === '' ? '' : ` (${args.reason})`}; ${String(data['disconnected'])} connection(s) closed on the node that answered, the others close on theirs`;
  }
  if (command === 'unban') return data['unbanned'] === true ? `unbanned ${args.user}` : `${args.user} was not banned`;
  const bans = (data['bans'] as { user: string; channel?: string; until: number; reason: string }[] | undefined) ?? [];
  if (bans.length === 0) return 'no bans';
  return bans
    .map(
      (b) =>
        `${b.user}${b.channel === undefined ? '' : ` in ${b.channel}`}\tuntil ${new Date(b.until).toISOString()}${b.reason === '' ? '' : `\t${b.reason}`}`,
    )
    .join('\n');
}

/**
 * Runs one moderation command.
 * @param command `ban`, `unban` or `bans`.
 * @param argv The command's arguments.
 * @param io Environment and output (the process's by default; tests pass their own).
 * @returns The exit code.
 */
export async function run(
  command: ModerationCommand,
  argv: string[],
  io: {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly out?: (text: string) => void;
    readonly err?: (text: string) => void;
  } = {},
): Promise<number> {
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  const args = parse(command, argv, io.env ?? process.env);
  const usage = `${USAGE[command]}\n${COMMON_HELP}`;
  if (args === null) {
    out(`${usage}\n`);
    return 0;
  }
  if (typeof args === 'string') {
    err(`switchboard ${command}: ${args}\n\n${usage}\n`);
    return 2;
  }
  let answer;
  try {
    answer =
      command === 'bans'
        ? await call(args, 'GET', '/api/bans')
        : command === 'unban'
          ? await call(args, 'POST', '/api/unban', { user: args.user })
          : await call(args, 'POST', '/api/ban', {
              user: args.user,
              durationSec: Math.round(args.durationMs! / 1000),
              ...(args.reason === '' ? {} : { reason: args.reason }),
            });
  } catch (cause) {
    err(`switchboard ${command}: cannot reach ${args.url}: ${(cause as Error).message}\n`);
    return 1;
  }
  if (answer.status !== 200) {
    err(
      `switchboard ${command}: HTTP ${answer.status} ${String(answer.data['error'] ?? '')}: ${String(answer.data['message'] ?? '')}\n`,
    );
    return 1;
  }
  out(`${args.json ? JSON.stringify(answer.data) : describe(command, args, answer.data)}\n`);
  return 0;
}
