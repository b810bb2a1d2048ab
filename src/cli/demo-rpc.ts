// CLI: the demo RPC methods of `switchboard serve --dev`: `roll` (dice) and `who` (who is in a channel). They show the
// in-process RPC contract (src/realtime/logic.ts) on the chat page; production mode registers none of them.
import { randomInt } from 'node:crypto';
import { BrokerError, type Broker, type PresenceUser } from '../broker/index.ts';
import type { JsonValue } from '../messages/index.ts';
import type {
  Identity,
  LogicCaller,
  Permissions,
  RealtimeServer,
  RpcContext,
  RpcHandler,
  RpcResult,
} from '../realtime/index.ts';

/** The dice `roll` accepts: sides and count of dice, with the defaults of an omitted field. */
export const ROLL_LIMITS = Object.freeze({
  /** A coin: fewer sides is not a die. */
  MIN_SIDES: 2,
  /** Enough for a d1000 table; more says nothing a demo needs. */
  MAX_SIDES: 1000,
  MIN_COUNT: 1,
  /** Twenty dice keep the reply one short line. */
  MAX_COUNT: 20,
  DEFAULT_SIDES: 6,
  DEFAULT_COUNT: 1,
});

/**
 * Most users `who` lists; the reply says how many there were in all. A channel's presence can be any size, and a
 * reply must stay far below the message size limit.
 */
export const WHO_MAX_USERS = 100;

/** The demo methods by name, as `RealtimeServer#rpc` registers them. */
export const DEMO_RPC_METHODS = ['roll', 'who'] as const;

/** What `who` needs from the server: the broker's presence and the permissions the hub checks with. */
export interface DemoRpcOptions {
  /** Where presence lives (the hub's broker, `RealtimeServer#broker`). */
  readonly broker: Pick<Broker, 'presence'>;
  /** The permissions the hub decides with, so `who` shows a channel's presence only to whom `presence` would. */
  readonly permissions: Permissions;
}

function invalid(message: string): RpcResult {
  return { refuse: { code: 'invalid_message', message } };
}

function isObject(data: JsonValue | undefined): data is { readonly [key: string]: JsonValue } {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

/** An integer field within [min, max], its default when absent, or the refusal that says what is wrong. */
function integerField(
  data: { readonly [key: string]: JsonValue },
  name: string,
  range: { readonly min: number; readonly max: number; readonly fallback: number },
): number | RpcResult {
  const value = data[name];
  if (value === undefined) return range.fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max)
    return invalid(`roll: "${name}" must be an integer from ${range.min} to ${range.max}`);
  return value;
}

/**
 * The `roll` method: `{ sides?, count? }` → `{ rolls, total }` (defaults: one six-sided die). Anything else — not an
 * object, an unknown field, a number out of range or not an integer — is refused with `invalid_message`.
 * @param data the RPC's data
 * @param random an integer in [min, max) (the default is the CSPRNG, so nobody can predict the next roll)
 * @returns the rolls and their sum, or the refusal
 */
export function roll(data: JsonValue, random: (min: number, max: number) => number = randomInt): RpcResult {
  const fields = data ?? {};
  if (!isObject(fields)) return invalid('roll: data must be an object { sides?, count? }');
  for (const key of Object.keys(fields))
    if (key !== 'sides' && key !== 'count') return invalid(`roll: unknown field "${key.slice(0, 64)}"`);
  const sides = integerField(fields, 'sides', {
    min: ROLL_LIMITS.MIN_SIDES,
    max: ROLL_LIMITS.MAX_SIDES,
    fallback: ROLL_LIMITS.DEFAULT_SIDES,
  });
  if (typeof sides !== 'number') return sides;
  const count = integerField(fields, 'count', {
    min: ROLL_LIMITS.MIN_COUNT,
    max: ROLL_LIMITS.MAX_COUNT,
    fallback: ROLL_LIMITS.DEFAULT_COUNT,
  });
  if (typeof count !== 'number') return count;
  const rolls = Array.from({ length: count }, () => random(1, sides + 1));
  return { data: { sides, count, rolls, total: rolls.reduce((a, b) => a + b, 0) } };
}

/** The caller as the permission check sees it (the expiry plays no part in a permission). */
function identityOf(caller: LogicCaller): Identity {
  return { user: caller.user, roles: caller.roles, info: caller.info, anonymous: caller.anonymous, expiresAt: null };
}

/**
 * The `who` method: `{ channel }` → `{ channel, users: [{ user, connections }], total }`, users sorted by name, at
 * most {@link WHO_MAX_USERS}. Refused as the `presence` message would be: a bad channel name (`invalid_message`), an
 * unknown namespace (`not_found`), presence off (`not_available`), a channel the caller may not watch (`forbidden`);
 * a broker that does not answer is `backend_unavailable` (retryable).
 * @param options the broker and permissions
 * @returns the handler
 */
export function createWho(options: DemoRpcOptions): RpcHandler {
  return async (context: RpcContext): Promise<RpcResult> => {
    const data = context.data;
    if (!isObject(data) || typeof data['channel'] !== 'string' || Object.keys(data).length !== 1)
      return invalid('who: data must be { channel: "namespace:name" }');
    const channel = data['channel'];
    const allowed = options.permissions.can(identityOf(context), 'presence', channel);
    if (!allowed.ok)
      return {
        refuse: { code: allowed.code, message: `who: cannot read the presence of this channel (${allowed.reason})` },
      };
    let present: PresenceUser[];
    try {
      present = await options.broker.presence(channel);
    } catch (err) {
      // Anything but the broker being unreachable is a bug: the hub answers it `internal` and logs it.
      if (!(err instanceof BrokerError)) throw err;
      return {
        refuse: { code: 'backend_unavailable', message: 'who: presence is unavailable right now: retry later' },
      };
    }
    const users = [...present]
      .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
      .slice(0, WHO_MAX_USERS)
      .map((u) => ({ user: u.user, connections: u.connections }));
    return { data: { channel, users, total: present.length } };
  };
}

/**
 * Registers the demo methods on a hub (`serve --dev`), except those the configured logic module (`--logic`) already
 * registered: the application's own `roll` or `who` wins over the demo's.
 * @param hub the hub
 * @param options what `who` needs
 * @param taken method names already registered
 */
export function registerDemoRpc(
  hub: Pick<RealtimeServer, 'rpc'>,
  options: DemoRpcOptions,
  taken: { has(method: string): boolean } = new Set(),
): void {
  for (const [name, handler] of Object.entries(createDemoRpc(options))) if (!taken.has(name)) hub.rpc(name, handler);
}

/**
 * The demo methods, by name, for `RealtimeServer#rpc`.
 * @param options what `who` needs
 * @returns `roll` and `who`
 */
export function createDemoRpc(
  options: DemoRpcOptions,
): Readonly<Record<(typeof DEMO_RPC_METHODS)[number], RpcHandler>> {
  return { roll: (context) => roll(context.data), who: createWho(options) };
}
