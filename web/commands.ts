// Chat page (browser): the slash commands typed in the message box, parsed without the DOM or the network, and the
// answers of the demo RPC methods (`roll`, `who` of `switchboard serve --dev`) turned into the line the log shows.

/** What a line typed in the message box asks for. */
export type Command =
  | { readonly kind: 'message'; readonly text: string }
  | { readonly kind: 'private'; readonly user: string; readonly text: string }
  | { readonly kind: 'roll'; readonly count: number; readonly sides: number; readonly spec: string }
  | { readonly kind: 'who'; readonly room: string | null }
  | { readonly kind: 'help' }
  | { readonly kind: 'invalid'; readonly error: string };

/** One line per command, as `/help` lists them. */
export const COMMAND_HELP: readonly string[] = [
  '/msg user text: a private message to user',
  '/roll [NdM]: roll N dice of M sides (default 1d6; N 1-20, M 2-1000), answered by the server',
  '/who [room]: who is in this room (or another one), asked from the server',
  '/help: this list',
  '/roll and /who are RPC methods of the demo server (switchboard serve --dev); a production server has them only if it is configured to',
];

/** A room name as the join form accepts it. */
const ROOM = /^[A-Za-z0-9_-]{1,64}$/;
/** `NdM` or `dM` (one die): digits only; the server checks the ranges and says what is wrong. */
const DICE = /^(\d{1,9})?d(\d{1,9})$/i;

function parseRoll(args: string): Command {
  if (args === '') return { kind: 'roll', count: 1, sides: 6, spec: '1d6' };
  const m = DICE.exec(args);
  if (m === null) return { kind: 'invalid', error: `/roll takes NdM, for example /roll 2d6 (not "${args}")` };
  const count = Number(m[1] ?? '1');
  const sides = Number(m[2]);
  return { kind: 'roll', count, sides, spec: `${count}d${sides}` };
}

/**
 * Parses a line typed in the message box (already trimmed). Text not starting with `/` is a message.
 * @param text the line
 * @returns the command, or `invalid` with what to type instead
 */
export function parseCommand(text: string): Command {
  if (!text.startsWith('/')) return { kind: 'message', text };
  const pm = /^\/msg\s+(\S+)\s+([\s\S]+)$/.exec(text);
  if (pm !== null) return { kind: 'private', user: pm[1]!, text: pm[2]! };
  const m = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  const name = (m?.[1] ?? '').toLowerCase();
  const args = (m?.[2] ?? '').trim();
  switch (name) {
    case 'roll':
      return parseRoll(args);
    case 'who':
      if (args === '') return { kind: 'who', room: null };
      return ROOM.test(args)
        ? { kind: 'who', room: args }
        : { kind: 'invalid', error: 'A room name is 1-64 of A-Z a-z 0-9 _ -' };
    case 'help':
      return { kind: 'help' };
    case 'msg':
      return { kind: 'invalid', error: 'Type /msg user text to send a private message' };
    default:
      return { kind: 'invalid', error: `Unknown command /${name.slice(0, 32)}: type /help for the list` };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The log line for `roll`'s answer: `You rolled 2d6: 3 + 5 = 8`.
 * @param spec what was asked (`2d6`)
 * @param answer the reply's data
 * @returns the line, or null when the answer is not the documented shape
 */
export function describeRoll(spec: string, answer: unknown): string | null {
  if (!isRecord(answer) || !Array.isArray(answer['rolls']) || typeof answer['total'] !== 'number') return null;
  const rolls = answer['rolls'].filter((r): r is number => typeof r === 'number');
  const sum = rolls.length > 1 ? `${rolls.join(' + ')} = ${answer['total']}` : String(answer['total']);
  return `You rolled ${spec}: ${sum}`;
}

/**
 * The log line for `who`'s answer: `In #general (2): alice, bob (2 tabs)`.
 * @param room the room asked about
 * @param answer the reply's data
 * @returns the line, or null when the answer is not the documented shape
 */
export function describeWho(room: string, answer: unknown): string | null {
  if (!isRecord(answer) || !Array.isArray(answer['users'])) return null;
  const users = answer['users'].filter(isRecord).map((u) => {
    const name = typeof u['user'] === 'string' ? u['user'] : '?';
    const tabs = typeof u['connections'] === 'number' && u['connections'] > 1 ? ` (${u['connections']} tabs)` : '';
    return `${name}${tabs}`;
  });
  const total = typeof answer['total'] === 'number' ? answer['total'] : users.length;
  if (total === 0) return `Nobody is in #${room}`;
  const more = total > users.length ? ` and ${total - users.length} more` : '';
  return `In #${room} (${total}): ${users.join(', ')}${more}`;
}
