// HTTP: the bounded label sets of the Prometheus metrics, and the guard that counts anything else as `other`.
import { DisconnectCode } from '../messages/index.ts';

/** Application message types, the only values of the `type` label; anything else is counted as `other`. */
export const MESSAGE_TYPES: readonly string[] = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'send',
  'typing',
  'history',
  'presence',
  'refresh',
  'ping',
  'stats',
  'delete',
  'batch',
  'connected',
  'subscribed',
  'unsubscribed',
  'publication',
  'join',
  'leave',
  'reply',
  'error',
  'disconnect',
  'deleted',
  'pong',
  'rpc',
  'doc',
  'publications',
];

/** Broker operations, the only values of the `op` label of the broker latency histogram. */
export type BrokerOperation = 'publish' | 'history' | 'presence' | 'subscribe' | 'unsubscribe' | 'other';
/** {@link BrokerOperation} as a set, to bound the `op` label. */
export const BROKER_OPERATIONS: ReadonlySet<string> = new Set<BrokerOperation>([
  'publish',
  'history',
  'presence',
  'subscribe',
  'unsubscribe',
  'other',
]);

/** Which limit tripped: the values of the `limit` label. */
export type RateLimitKind = 'messages' | 'bytes' | 'connections' | 'subscriptions' | 'connections_per_user';

/**
 * Caps the distinct values a label takes: a value must look like an identifier and the set of values seen stays
 * under `max`, otherwise it is counted as `other` (docs/security-cases.md OP-01: no label from attacker-chosen names).
 */
export class LabelGuard {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #allowed: ReadonlySet<string> | null;

  constructor(max: number, allowed: Iterable<string> | null = null) {
    this.#max = max;
    this.#allowed = allowed === null ? null : new Set(allowed);
  }

  label(value: unknown): string {
    const s = typeof value === 'number' ? String(value) : value;
    if (typeof s !== 'string' || !/^[A-Za-z0-9_]{1,48}$/.test(s)) return 'other';
    if (this.#allowed !== null) return this.#allowed.has(s) ? s : 'other';
    if (this.#seen.has(s)) return s;
    if (this.#seen.size >= this.#max) return 'other';
    this.#seen.add(s);
    return s;
  }
}

/**
 * The `code` label of a closed connection: RFC 6455 codes and our `DisconnectCode`s as themselves, other application
 * codes (3000-4999) as `app_other`, anything else as `other`.
 * @param code the close code
 * @returns the label value
 */
export function closeCodeLabel(code: unknown): string {
  if (typeof code !== 'number' || !Number.isInteger(code)) return 'other';
  if (code >= 1000 && code <= 1015) return String(code);
  return (Object.values(DisconnectCode) as number[]).includes(code)
    ? String(code)
    : code >= 3000 && code <= 4999
      ? 'app_other'
      : 'other';
}
