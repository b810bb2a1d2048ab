// Node binding: checks of numeric options shared by the server and the client, so both reject the same inputs alike.

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
