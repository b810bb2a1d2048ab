// Node-free application protocol: the exhaustiveness check every layer's `switch` over a closed union ends with.

/**
 * Marks a branch the type checker proves unreachable: a `switch` over a union that handles every member ends with
 * `default: return assertNever(value)`, so adding a member without handling it is a compile error.
 *
 * @param value The value whose type is `never` when every case is handled.
 * @param what What the value is, for the error text. @default 'value'
 * @returns Never.
 * @throws {TypeError} Always: reaching this at run time means a value outside its declared type got in.
 */
export function assertNever(value: never, what = 'value'): never {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = typeof value;
  }
  throw new TypeError(`Unexpected ${what}: ${shown.length > 100 ? `${shown.slice(0, 100)}…` : shown}`);
}
