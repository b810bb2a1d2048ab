// Broker: the argument checks and the epoch generator both brokers share (one copy, so they reject alike).
import { randomBytes } from 'node:crypto';

/** @returns a fresh random channel epoch (12 base64url characters), so positions of a lost stream never match it. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

/** @returns `value` when it is a non-negative safe integer. @throws {RangeError} Otherwise. */
export function checkCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`Cannot use ${name}: expected a non-negative integer, got ${String(value)}`);
  return value;
}

/** @returns `value` when it is a finite non-negative number. @throws {RangeError} Otherwise. */
export function checkDuration(value: number, name: string): number {
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity)
    throw new RangeError(`Cannot use ${name}: expected a finite non-negative number of ms, got ${String(value)}`);
  return value;
}

/** @returns `value` when it is a positive safe integer. @throws {RangeError} Otherwise. */
export function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`Cannot use ${name}: expected a positive integer, got ${String(value)}`);
  return value;
}

/** @returns `value` when it is a positive safe integer of milliseconds (a ban's duration). @throws {RangeError} Otherwise. */
export function checkBanDuration(value: number): number {
  return positive(value, 'durationMs');
}
