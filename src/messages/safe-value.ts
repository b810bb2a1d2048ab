// Node-free application protocol: linear-time guards that run before any schema sees peer input.

/** Keys that could reach an object's prototype chain if the value were ever merged (docs/security-cases.md AP-04). */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Whether `key` is one of the keys rejected everywhere in a message: `__proto__`, `constructor`, `prototype`.
 *
 * @param key An object key.
 * @returns true when the key is forbidden.
 */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

/**
 * Finds the maximum array/object nesting of JSON text in one linear pass, without parsing, so a
 * 100 000-deep input is refused before `JSON.parse` or a recursive validator could overflow the stack
 * (docs/security-cases.md AP-02). Brackets inside strings are ignored; the text need not be valid JSON.
 *
 * @param text JSON text.
 * @param maxDepth The allowed nesting (the top-level object counts as 1).
 * @returns true as soon as the nesting exceeds `maxDepth`.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Most messages hold fewer opening brackets, counted anywhere (strings included), than the limit: then they cannot
  // nest deeper, and two native searches settle it (a `doc` message: 50 ns instead of 900 for the scan below).
  if (countUpTo(text, '{', maxDepth + 1) + countUpTo(text, '[', maxDepth + 1) <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** How many times `char` occurs in `text`, counting no further than `limit`. */
function countUpTo(text: string, char: string, limit: number): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1 && count < limit; i = text.indexOf(char, i + 1)) count++;
  return count;
}

/**
 * Checks that a decoded value is plain JSON data: `null`, booleans, finite numbers, strings, arrays and
 * plain objects (prototype `Object.prototype` or `null`) without forbidden keys, nested at most `maxDepth`.
 * Runs in time linear in the size of the value. Recursive, but never deeper than `maxDepth` + 1 frames (the callers
 * pass 64 at most), and allocation-free: it runs on every message (an explicit stack of `{ value, depth }` entries
 * and an `Object.keys` array per object cost about 500 bytes of garbage for a small publish).
 *
 * @param value A freshly decoded value.
 * @param maxDepth The allowed nesting (the top-level object counts as 1).
 * @returns null when the value is acceptable, else a short reason that never echoes peer data.
 */
export function checkJsonValue(value: unknown, maxDepth: number): string | null {
  return checkAt(value, 0, maxDepth);
}

function checkAt(v: unknown, depth: number, maxDepth: number): string | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(v) ? null : 'Cannot accept a non-finite number';
    case 'object': {
      if (v === null) return null;
      const inner = depth + 1;
      if (inner > maxDepth) return 'Cannot accept the message: nested too deep';
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return 'Cannot accept a non-plain array';
        for (let i = 0; i < v.length; i++) {
          const bad = checkAt(v[i], inner, maxDepth);
          if (bad !== null) return bad;
        }
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return 'Cannot accept a non-plain object';
      // `for…in` lists inherited enumerable keys too: `hasOwn` keeps exactly what `Object.keys` would (a polluted
      // Object.prototype adds nothing here).
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        if (FORBIDDEN_KEYS.has(key)) return 'Cannot accept a reserved key';
        const bad = checkAt((v as Record<string, unknown>)[key], inner, maxDepth);
        if (bad !== null) return bad;
      }
      return null;
    }
    default:
      return `Cannot accept a value of type ${typeof v}`;
  }
}

/**
 * UTF-8 byte length of a string, counted without encoding it.
 *
 * @param text Any string (lone surrogates count as 3 bytes, as `TextEncoder` replaces them with U+FFFD).
 * @returns The number of bytes `TextEncoder` would produce.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
