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

/**
 * Checks that a decoded value is plain JSON data: `null`, booleans, finite numbers, strings, arrays and
 * plain objects (prototype `Object.prototype` or `null`) without forbidden keys, nested at most `maxDepth`.
 * Iterative, so depth never costs stack. Runs in time linear in the size of the value.
 *
 * @param value A freshly decoded value.
 * @param maxDepth The allowed nesting (the top-level object counts as 1).
 * @returns null when the value is acceptable, else a short reason that never echoes peer data.
 */
export function checkJsonValue(value: unknown, maxDepth: number): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (!Number.isFinite(v)) return 'Cannot accept a non-finite number';
        continue;
      case 'object': {
        if (v === null) continue;
        const depth = item.depth + 1;
        if (depth > maxDepth) return 'Cannot accept the message: nested too deep';
        if (Array.isArray(v)) {
          if (Object.getPrototypeOf(v) !== Array.prototype) return 'Cannot accept a non-plain array';
          for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth });
          continue;
        }
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) return 'Cannot accept a non-plain object';
        for (const key of Object.keys(v)) {
          if (FORBIDDEN_KEYS.has(key)) return 'Cannot accept a reserved key';
          stack.push({ value: (v as Record<string, unknown>)[key], depth });
        }
        continue;
      }
      default:
        return `Cannot accept a value of type ${typeof v}`;
    }
  }
  return null;
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
