// Node binding: checks of options shared by the server and the client, so both reject the same inputs alike.
import { CloseCode } from '../protocol/index.ts';
import type { SlowConsumerPolicy } from './frame-sender.ts';

/**
 * Reads a non-negative numeric option (a size, a count, a duration; `Infinity` allowed).
 * @param name - the option's name, quoted in the error
 * @param value - what the caller gave
 * @param fallback - the default when `value` is undefined
 * @returns `value`, or `fallback`
 * @throws {RangeError} for NaN, a negative number or a non-number
 */
export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0)
    throw new RangeError(`Cannot use ${name} "${String(value)}": expected a non-negative number`);
  return value;
}

/** The slow-consumer settings both sides apply, checked. */
export interface SlowConsumerSettings {
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  readonly slowConsumerCloseCode: typeof CloseCode.POLICY_VIOLATION | typeof CloseCode.TRY_AGAIN_LATER;
}

/**
 * Reads the slow-consumer policy and close code, with their defaults (`wait`, 1008).
 * @param options - what the caller gave
 * @returns the checked settings
 * @throws {TypeError} for a policy other than `wait`, `drop` or `close`
 * @throws {RangeError} for a close code other than 1008 or 1013
 */
export function slowConsumerSettings(options: {
  readonly slowConsumerPolicy?: SlowConsumerPolicy | undefined;
  readonly slowConsumerCloseCode?: number | undefined;
}): SlowConsumerSettings {
  const policy = options.slowConsumerPolicy ?? 'wait';
  if (policy !== 'wait' && policy !== 'drop' && policy !== 'close')
    throw new TypeError(`Cannot use slowConsumerPolicy "${String(policy)}": expected "wait", "drop" or "close"`);
  const code = options.slowConsumerCloseCode ?? CloseCode.POLICY_VIOLATION;
  if (code !== CloseCode.POLICY_VIOLATION && code !== CloseCode.TRY_AGAIN_LATER)
    throw new RangeError(`Cannot use slowConsumerCloseCode "${String(code)}": expected 1008 or 1013`);
  return { slowConsumerPolicy: policy, slowConsumerCloseCode: code };
}
