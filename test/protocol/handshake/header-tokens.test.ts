// Tests for src/protocol/handshake/header-tokens.ts: RFC 7230 lists, RFC 6455 §9.1 extensions, linear work (RX-12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import {
  isToken,
  isTokenChar,
  parseExtensionHeader,
  parseSubprotocols,
  parseTokenList,
  parseUpgradeList,
  serializeExtensions,
  tokenizerSteps,
} from '../../../src/protocol/handshake/header-tokens.ts';
import type { ExtensionOffer } from '../../../src/protocol/handshake/header-tokens.ts';

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function throws400(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof HandshakeError && e.status === 400 && e.code === code);
}

/** Plain-data view of parsed extensions, for deepEqual. */
function view(list: readonly ExtensionOffer[]): unknown[] {
  return list.map((e) => ({ name: e.name, params: [...e.params], dup: e.duplicateParams ?? [] }));
}

test('tchar table matches RFC 7230 §3.2.6 for every code unit below 256', () => {
  for (let c = 0; c < 256; c++) assert.equal(isTokenChar(c), TCHARS.includes(String.fromCharCode(c)), `code ${c}`);
  assert.equal(isTokenChar(0x100), false);
  assert.equal(isToken(''), false);
  assert.equal(isToken('a b'), false);
  assert.equal(isToken('permessage-deflate'), true);
});

test('parseTokenList keeps case and order and tolerates OWS and empty elements (RFC 7230 §7)', () => {
  assert.deepEqual(parseTokenList('keep-alive, Upgrade'), ['keep-alive', 'Upgrade']);
  assert.deepEqual(parseTokenList('  a ,\tb\t,c  '), ['a', 'b', 'c']);
  assert.deepEqual(parseTokenList(',a,,  ,b,'), ['a', 'b']);
  assert.deepEqual(parseTokenList(''), []);
  assert.deepEqual(parseTokenList(' , ,'), []);
});

test('parseTokenList rejects non-token elements with 400 and names the header, never the value', () => {
  for (const bad of ['a b', 'a;b', 'a, "b"', 'a\r\nb', 'é', 'a/b']) {
    throws400(
      () => parseTokenList(bad, { header: 'Connection', code: 'WS_ERR_INVALID_CONNECTION' }),
      'WS_ERR_INVALID_CONNECTION',
    );
  }
  assert.throws(
    () => parseTokenList('secret value'),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_INVALID_HEADER' && !e.message.includes('secret'),
  );
});

test('parseUpgradeList accepts protocol-name/protocol-version elements (RFC 7230 §6.7)', () => {
  assert.deepEqual(parseUpgradeList('HTTP/2.0, websocket'), ['HTTP/2.0', 'websocket']);
  throws400(() => parseUpgradeList('websocket/'), 'WS_ERR_INVALID_HEADER');
  throws400(() => parseUpgradeList('/13'), 'WS_ERR_INVALID_HEADER');
});

test('parseSubprotocols accepts a token list in order (RFC 6455 §4.1)', () => {
  assert.deepEqual(parseSubprotocols('chat.v2, chat.v1'), ['chat.v2', 'chat.v1']);
  assert.deepEqual(parseSubprotocols('a,,b'), ['a', 'b']); // RFC 7230 §7 empty elements
});

test('HS-14 parseSubprotocols rejects "a, a", "a b" and empty lists with 400 (RFC 6455 §4.1 "MUST all be unique")', () => {
  for (const bad of ['a, a', 'a b', '', ' , ', 'a;b', '"a"'])
    throws400(() => parseSubprotocols(bad), 'WS_ERR_INVALID_PROTOCOL');
});

test('HS-13 parseSubprotocols rejects "b" + 32 000 spaces + "x" with 400 (CVE-2021-32640)', () => {
  throws400(() => parseSubprotocols(`b${' '.repeat(32_000)}x`), 'WS_ERR_INVALID_PROTOCOL');
});

test('parseExtensionHeader follows the RFC 6455 §9.1 grammar: params, values, quoted values, several offers', () => {
  assert.deepEqual(
    view(
      parseExtensionHeader('permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate'),
    ),
    [
      {
        name: 'permessage-deflate',
        params: [
          ['client_max_window_bits', true],
          ['server_max_window_bits', '10'],
        ],
        dup: [],
      },
      { name: 'permessage-deflate', params: [], dup: [] },
    ],
  );
  assert.deepEqual(view(parseExtensionHeader('a ;b = "1" ;\tc="x\\yz"')), [
    {
      name: 'a',
      params: [
        ['b', '1'],
        ['c', 'xyz'],
      ],
      dup: [],
    },
  ]);
  assert.deepEqual(view(parseExtensionHeader(',a,, b ,')), [
    { name: 'a', params: [], dup: [] },
    { name: 'b', params: [], dup: [] },
  ]);
});

test('parseExtensionHeader keeps the first value of a repeated parameter and reports it (RFC 7692 §7 needs it)', () => {
  assert.deepEqual(view(parseExtensionHeader('x; a=1; a=2; b; a; b')), [
    {
      name: 'x',
      params: [
        ['a', '1'],
        ['b', true],
      ],
      dup: ['a', 'b'],
    },
  ]);
});

test('parseExtensionHeader rejects grammar violations with 400 (RFC 6455 §9.1)', () => {
  const bad = [
    '', // 1#extension
    ';a',
    'a;',
    'a; =1',
    'a; b=',
    'a; b="',
    'a; b="1',
    'a; b="1 2"', // unescaped value must be a token
    'a; b=""',
    'a; b="x\u0001"',
    'a; b="\\\u0001"',
    'a; b=1 2',
    'a b',
    'a; b="1"x',
    'a;b=c=d',
    'é',
    'a\r\n; b',
  ];
  for (const value of bad) throws400(() => parseExtensionHeader(value), 'WS_ERR_INVALID_EXTENSION');
});

test('HS-15 prototype-named extensions and params are plain Map keys: "constructor", "__proto__=1", "toString"', () => {
  const list = parseExtensionHeader(
    'constructor, permessage-deflate; __proto__=1, toString; hasOwnProperty; constructor=prototype',
  );
  assert.deepEqual(view(list), [
    { name: 'constructor', params: [], dup: [] },
    { name: 'permessage-deflate', params: [['__proto__', '1']], dup: [] },
    {
      name: 'toString',
      params: [
        ['hasOwnProperty', true],
        ['constructor', 'prototype'],
      ],
      dup: [],
    },
  ]);
  assert.equal(list[0]?.params.get('constructor'), undefined); // a Map has no inherited keys
  throws400(() => parseExtensionHeader(',;constructor'), 'WS_ERR_INVALID_EXTENSION');
});

test('HS-16 an unclosed quoted-string of 50 000 backslash pairs is rejected with 400 (CVE-2020-7662)', () => {
  throws400(() => parseExtensionHeader(`a; b="${'\\c'.repeat(50_000)}`), 'WS_ERR_INVALID_EXTENSION');
});

test('serializeExtensions writes "name; key=value; flag" lists and refuses non-tokens', () => {
  assert.equal(
    serializeExtensions([
      {
        name: 'permessage-deflate',
        params: new Map<string, string | true>([
          ['server_no_context_takeover', true],
          ['server_max_window_bits', '10'],
        ]),
      },
      { name: 'x', params: new Map() },
    ]),
    'permessage-deflate; server_no_context_takeover; server_max_window_bits=10, x',
  );
  assert.equal(serializeExtensions([]), '');
  assert.throws(() => serializeExtensions([{ name: 'a b', params: new Map() }]), TypeError);
  assert.throws(() => serializeExtensions([{ name: 'a', params: new Map([['b c', true]]) }]), TypeError);
  assert.throws(() => serializeExtensions([{ name: 'a', params: new Map([['b', 'x\r\ny']]) }]), TypeError);
});

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const extension = fc.record({
  name: token,
  params: fc.uniqueArray(fc.tuple(token, fc.oneof(fc.constant(true as const), token)), {
    selector: ([k]) => k,
    maxLength: 5,
  }),
});

test('property: parseExtensionHeader(serializeExtensions(list)) gives back list', () => {
  fc.assert(
    fc.property(fc.array(extension, { minLength: 1, maxLength: 6 }), (raw) => {
      const list: ExtensionOffer[] = raw.map((e) => ({
        name: e.name,
        params: new Map<string, string | true>(e.params),
      }));
      const back = parseExtensionHeader(serializeExtensions(list));
      assert.deepEqual(view(back), view(list));
    }),
    { numRuns: 300 },
  );
});

test('property: parseTokenList finds the tokens whatever OWS and empty elements surround them (RFC 7230 §7)', () => {
  const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
  fc.assert(
    fc.property(fc.array(fc.tuple(token, ows, ows, fc.nat(2))), (items) => {
      const value = items.map(([t, a, b, empties]) => `${a}${t}${b}${','.repeat(empties)}`).join(',');
      assert.deepEqual(
        parseTokenList(value),
        items.map(([t]) => t),
      );
    }),
    { numRuns: 300 },
  );
});

test('property: the parsers throw nothing but HandshakeError on random strings', () => {
  const grammarish = fc.string({
    unit: fc.constantFrom('a', 'b', ' ', '\t', ',', ';', '=', '"', '\\', '/', '\r', '\n', '\u0000', '\u00e9', '\u2028'),
    maxLength: 40,
  });
  const anything = fc.string({ unit: 'binary', maxLength: 40 });
  const parsers: Array<(s: string) => unknown> = [
    parseTokenList,
    parseUpgradeList,
    parseSubprotocols,
    parseExtensionHeader,
  ];
  fc.assert(
    fc.property(fc.oneof(grammarish, anything), (value) => {
      for (const parse of parsers) {
        try {
          parse(value);
        } catch (e) {
          assert.ok(e instanceof HandshakeError, `${String(e)} for ${JSON.stringify(value)}`);
          assert.equal(e.status, 400);
        }
      }
    }),
    { numRuns: 1000 },
  );
});

/** Characters examined while parsing `value` (errors are expected and ignored). */
function stepsFor(parse: (s: string) => unknown, value: string): number {
  const before = tokenizerSteps();
  try {
    parse(value);
  } catch (e) {
    if (!(e instanceof HandshakeError)) throw e;
  }
  return tokenizerSteps() - before;
}

test('RX-12 hostile headers cost work linear in their size: 1 MiB costs the same steps per character as 1 KiB', {
  timeout: 60_000,
}, () => {
  const cases: Array<[string, (s: string) => unknown, (n: number) => string]> = [
    ['spaces in a subprotocol list', parseSubprotocols, (n) => `b${' '.repeat(n)}x`],
    ['unclosed backslash pairs', parseExtensionHeader, (n) => `a; b="${'\\c'.repeat(n / 2)}`],
    ['unclosed quoted-string', parseExtensionHeader, (n) => `a; b="${'x'.repeat(n)}`],
    ['only commas', parseTokenList, (n) => ','.repeat(n)],
    [
      'repeated parameters',
      parseExtensionHeader,
      (n) => `a${Array.from({ length: n / 8 }, (_, i) => `; p${i % 4096}`).join('')}`,
    ],
    ['many offers', parseExtensionHeader, (n) => Array.from({ length: n / 4 }, () => 'a;b').join(',')],
  ];
  for (const [name, parse, make] of cases) {
    const baseInput = make(1024);
    const base = stepsFor(parse, baseInput) / baseInput.length;
    // Sizes grow in stages, so a quadratic regression fails fast at 32 KiB instead of hanging at 1 MiB.
    for (const size of [32 * 1024, 1024 * 1024]) {
      const input = make(size);
      const perChar = stepsFor(parse, input) / input.length;
      // Linear: every character is examined a bounded number of times, so the steps per character
      // stay the same as at 1 KiB. A backtracking or re-scanning parser grows with the size.
      assert.ok(
        perChar <= base * 1.1,
        `${name}: ${perChar.toFixed(2)} steps per char at ${size} B vs ${base.toFixed(2)} at 1 KiB`,
      );
      assert.ok(perChar >= 0.9, `${name}: the counter must see every character (${perChar.toFixed(2)} per char)`);
    }
  }
});
