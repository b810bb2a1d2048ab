// Session ids of the HTTP transports: the parser that allocates no Buffer accepts and rejects exactly what the
// regular-expression parser it replaced did, with the same parts; minted ids read back; secrets compare by content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newSessionId, parseSessionId, sameSecret } from '../../../src/http/transports/session-ids.ts';

/** The parser before: a regular expression, then the secret decoded into a Buffer of 16 bytes. */
const OLD_SESSION_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{22})$/;
function oldParse(value: string | null): { node: string; secret: Buffer; key: string } | null {
  if (value === null) return null;
  const match = OLD_SESSION_ID.exec(value);
  if (match === null) return null;
  const secret = Buffer.from(match[2]!, 'base64url');
  if (secret.length !== 16) return null;
  return { node: match[1]!, secret, key: match[2]! };
}

/** Both parsers agree on `value`: both refuse it, or both read the same node, key and secret bytes. */
function assertSame(value: string | null): void {
  const before = oldParse(value);
  const now = parseSessionId(value);
  assert.equal(now === null, before === null, `accepts ${JSON.stringify(value)}: ${now !== null}`);
  if (now === null || before === null) return;
  assert.equal(now.node, before.node);
  assert.equal(now.key, before.key);
  assert.deepEqual(Buffer.from(now.key, 'base64url'), before.secret);
}

const HEX = '0123456789abcdef';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Characters at the edges of the classes both parsers check, and a few from outside ASCII. */
const EDGES = [...'09afgAFGZz-_.=+/ \n\r\t\0', '\u00e9', '\u0660', '\u{1F600}', '\uFF41'];

const hexChars = (n: number) =>
  fc.array(fc.constantFrom(...HEX), { minLength: n, maxLength: n }).map((a) => a.join(''));
const validId = fc
  .tuple(
    hexChars(8),
    hexChars(4),
    hexChars(4),
    hexChars(4),
    hexChars(12),
    fc.array(fc.constantFrom(...BASE64URL), { minLength: 22, maxLength: 22 }),
  )
  .map(([a, b, c, d, e, secret]) => `${a}-${b}-${c}-${d}-${e}.${secret.join('')}`);
/** A valid id with one to three edits: a character replaced, removed or inserted, or the end cut or extended. */
const nearId = fc
  .tuple(
    validId,
    fc.array(
      fc.tuple(
        fc.constantFrom('replace', 'remove', 'insert', 'cut', 'append'),
        fc.nat(70),
        fc.oneof(fc.constantFrom(...EDGES), fc.constantFrom(...HEX.toUpperCase()), fc.string({ maxLength: 1 })),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([id, edits]) => {
    let s = id;
    for (const [kind, at, ch] of edits) {
      const i = at % (s.length + 1);
      if (kind === 'replace') s = s.slice(0, i) + ch + s.slice(i + 1);
      else if (kind === 'remove') s = s.slice(0, i) + s.slice(i + 1);
      else if (kind === 'insert') s = s.slice(0, i) + ch + s.slice(i);
      else if (kind === 'cut') s = s.slice(0, i);
      else s += ch;
    }
    return s;
  });

test('the allocation-free parser accepts and rejects exactly what the regular-expression parser did', () => {
  fc.assert(fc.property(validId, (id) => assertSame(id)));
  fc.assert(
    fc.property(nearId, (id) => assertSame(id)),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(...HEX, ...BASE64URL, ...EDGES) }), (s) =>
      assertSame(s),
    ),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 80, unit: 'grapheme' }), (s) => assertSame(s)));
});

test('examples at the edges: what a session id is and is not', () => {
  const id = newSessionId('0123abcd-4567-89ef-0123-456789abcdef').id;
  for (const value of [
    null,
    '',
    id,
    `${id}\n`,
    `${id}=`,
    id.slice(0, -1),
    id.toUpperCase(),
    id.replace('.', '-'),
    id.replace('-', '0'),
    `${id.slice(0, -1)}+`,
    `${id.slice(0, -1)}/`,
  ])
    assertSame(value);
  assert.notEqual(parseSessionId(id), null, 'a minted id is a session id');
  assert.equal(parseSessionId(`${id}\n`), null, 'no trailing newline');
  assert.equal(parseSessionId(id.toUpperCase()), null, 'node ids are lowercase');
});

test('minted ids read back to the node and key they were minted with', () => {
  fc.assert(
    fc.property(fc.uuid(), (node) => {
      const minted = newSessionId(node);
      assert.deepEqual(parseSessionId(minted.id), { node: minted.node, key: minted.key });
      assert.equal(Buffer.from(minted.key, 'base64url').length, 16, '128 random bits');
    }),
  );
});

test('sameSecret is true exactly for the same text', () => {
  const secret = fc.array(fc.constantFrom(...BASE64URL), { minLength: 20, maxLength: 24 }).map((a) => a.join(''));
  fc.assert(
    fc.property(secret, secret, (a, b) => {
      assert.equal(sameSecret(a, b), a === b);
      assert.equal(sameSecret(a, a), true);
    }),
  );
});
