// Tests of the pre-schema guards (src/messages/safe-value.ts): linear depth scan, plain-data check, UTF-8 length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exceedsJsonDepth, checkJsonValue, utf8Length, isForbiddenKey } from '../../src/messages/index.ts';

test('exceedsJsonDepth counts array and object nesting and ignores brackets inside strings', () => {
  assert.equal(exceedsJsonDepth('{"a":[1,{"b":2}]}', 3), false);
  assert.equal(exceedsJsonDepth('{"a":[1,{"b":2}]}', 2), true);
  assert.equal(exceedsJsonDepth('{"a":"[[[[[[[[[["}', 1), false);
  assert.equal(exceedsJsonDepth('{"a":"\\"[[[[["}', 1), false, 'an escaped quote does not end the string');
  assert.equal(exceedsJsonDepth('[][][][]', 1), false, 'siblings do not add up');
  assert.equal(exceedsJsonDepth('', 1), false);
});

test('exceedsJsonDepth refuses 100000 levels of nesting without recursion (docs/security-cases.md AP-02)', () => {
  assert.equal(exceedsJsonDepth('['.repeat(100_000) + ']'.repeat(100_000), 32), true);
  assert.equal(exceedsJsonDepth(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, 32), true);
});

/** The depth scan alone (no shortcut): what exceedsJsonDepth must answer for any text. */
function scanExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > maxDepth) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

test('exceedsJsonDepth answers as the full scan on any text, below and above the bracket count that skips it', () => {
  const piece = fc.constantFrom('{', '}', '[', ']', '"', '\\', 'a', ':', ',');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), fc.integer({ min: 0, max: 8 }), (pieces, maxDepth) => {
      const text = pieces.join('');
      assert.equal(exceedsJsonDepth(text, maxDepth), scanExceeds(text, maxDepth), JSON.stringify(text));
    }),
    { numRuns: 5_000 },
  );
});

test('checkJsonValue accepts plain JSON data, including null-prototype objects', () => {
  assert.equal(checkJsonValue({ a: [1, 'x', null, true, { b: -0.5 }] }, 4), null);
  assert.equal(checkJsonValue(Object.assign(Object.create(null) as object, { a: 1 }), 1), null);
  assert.equal(checkJsonValue('text', 0), null);
});

test('checkJsonValue refuses reserved keys, non-finite numbers, non-plain objects and other types (docs/security-cases.md AP-04)', () => {
  assert.notEqual(checkJsonValue(JSON.parse('{"__proto__":{"admin":true}}'), 8), null);
  assert.notEqual(checkJsonValue({ data: { constructor: { prototype: { x: 1 } } } }, 8), null);
  assert.notEqual(checkJsonValue({ prototype: 1 }, 8), null);
  assert.notEqual(checkJsonValue({ a: Infinity }, 8), null);
  assert.notEqual(checkJsonValue({ a: NaN }, 8), null);
  assert.notEqual(checkJsonValue({ a: new Date() }, 8), null);
  assert.notEqual(checkJsonValue({ a: new Uint8Array(1) }, 8), null);
  assert.notEqual(checkJsonValue({ a: 1n }, 8), null);
  assert.notEqual(checkJsonValue({ a: undefined }, 8), null);
  assert.notEqual(checkJsonValue({ a: () => 1 }, 8), null);
  assert.notEqual(checkJsonValue({ a: Symbol('s') }, 8), null);
  assert.equal(({} as Record<string, unknown>)['admin'], undefined, 'Object.prototype untouched');
});

test('checkJsonValue enforces the depth limit and terminates on cycles', () => {
  assert.notEqual(checkJsonValue([[[1]]], 2), null);
  assert.equal(checkJsonValue([[[1]]], 3), null);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.notEqual(checkJsonValue(cycle, 32), null);
});

test('isForbiddenKey names exactly the prototype-reaching keys', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) assert.equal(isForbiddenKey(key), true);
  for (const key of ['proto', '__proto', 'Constructor', 'toString', 'hasOwnProperty'])
    assert.equal(isForbiddenKey(key), false);
});

test('utf8Length equals TextEncoder byte length for any string, lone surrogates included', () => {
  const encoder = new TextEncoder();
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === encoder.encode(s).length),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
      (s) => utf8Length(s) === encoder.encode(s).length,
    ),
    { numRuns: 500 },
  );
});
