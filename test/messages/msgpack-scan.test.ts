// Tests of the MessagePack pre-validator (src/messages/msgpack-scan.ts): the JSON subset only, lengths checked before use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { scanMsgpack, checkJsonValue, isForbiddenKey } from '../../src/messages/index.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const scan = (s: string, maxDepth = 32): string | null => scanMsgpack(hex(s), { maxDepth });

test('scanMsgpack accepts every JSON-compatible scalar and container form', () => {
  for (const v of [
    'c0',
    'c2',
    'c3',
    '00',
    '7f',
    'e0',
    'ff',
    'cc ff',
    'cd ffff',
    'ce ffffffff',
    'cf 001fffffffffffff',
    'd0 80',
    'd1 8000',
    'd2 80000000',
    'd3 ffe0000000000001',
    'ca 3fc00000',
    'cb 3ff8000000000000',
    'a0',
    'a3 616263',
    'd9 01 61',
    'da 0001 61',
    'db 00000001 61',
    '90',
    '91 c0',
    'dc 0001 c0',
    'dd 00000001 c0',
    '80',
    '81 a1 61 c0',
    'de 0001 a1 61 c0',
    'df 00000001 a1 61 c0',
    '82 a1 61 91 c0 a1 62 81 a1 63 c3',
  ]) {
    assert.equal(scan(v), null, v);
  }
});

const REFUSED: [string, string][] = [
  ['array32 announcing 2^32-1 elements with no data (docs/security-cases.md AP-10)', 'dd ffffffff'],
  ['array16 announcing 65535 elements with no data', 'dc ffff'],
  ['map32 announcing 2^32-1 pairs with no data', 'df ffffffff'],
  ['huge bin32 header (docs/security-cases.md AP-10)', 'c6 ffffffff'],
  ['bin8 value', 'c4 01 00'],
  ['bin16 value', 'c5 0001 00'],
  ['str32 announcing 4 GiB', 'db ffffffff 61'],
  ['str8 longer than the input', 'd9 05 6162'],
  ['msgpackr record extension', 'd4 72 00'],
  ['ext8 (error extension)', 'c7 01 65 00'],
  ['ext16', 'c8 0001 01 00'],
  ['ext32 with huge length', 'c9 ffffffff 01'],
  ['timestamp ext', 'd6 ff 00000000'],
  ['fixext16', 'd8 01 00000000000000000000000000000000'],
  ['reserved byte 0xc1', 'c1'],
  ['truncated map', '82 a4 74797065'],
  ['truncated float64', 'cb 3ff8'],
  ['truncated uint32', 'ce 00'],
  ['empty input', ''],
  ['trailing bytes', 'c0 c0'],
  ['integer map key', '81 01 c0'],
  ['array map key', '81 90 c0'],
  ['NaN float64', 'cb 7ff8000000000000'],
  ['Infinity float32', 'ca 7f800000'],
  ['uint64 above the safe range', 'cf ffffffffffffffff'],
  ['int64 below the safe range', 'd3 8000000000000000'],
  ['__proto__ key (docs/security-cases.md AP-04)', '81 a9 5f5f70726f746f5f5f c0'],
  ['constructor key nested in data', '81 a4 64617461 81 ab 636f6e7374727563746f72 c0'],
  ['prototype key', '81 a9 70726f746f74797065 c0'],
];
for (const [what, bytes] of REFUSED) {
  test(`scanMsgpack refuses ${what}`, () => {
    assert.notEqual(scan(bytes), null);
  });
}

test('scanMsgpack refuses 100000 levels of nesting without recursion (docs/security-cases.md AP-02)', () => {
  assert.notEqual(scan(`${'91'.repeat(100_000)}c0`), null);
  assert.equal(scan(`${'91'.repeat(3)}c0`, 3), null);
  assert.notEqual(scan(`${'91'.repeat(4)}c0`, 3), null);
});

test('scanMsgpack and isForbiddenKey agree on the reserved keys', () => {
  for (const key of ['__proto__', 'constructor', 'prototype', 'proto', 'toString']) {
    const bytes = new Packr({ useRecords: false }).pack({ [key]: 1 } as Record<string, number>);
    // Packing { ['__proto__']: 1 } via a computed key creates an own property, so all three reach the scanner.
    assert.equal(scanMsgpack(bytes, { maxDepth: 4 }) !== null, isForbiddenKey(key), key);
  }
});

test('scanMsgpack accepts whatever msgpackr packs from JSON data', () => {
  const packr = new Packr({ useRecords: false, variableMapSize: true });
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      fc.pre(checkJsonValue(value, 32) === null);
      return scanMsgpack(packr.pack(value), { maxDepth: 32 }) === null;
    }),
    { numRuns: 500 },
  );
});

test('scanMsgpack never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const result = scanMsgpack(bytes, { maxDepth: 8 });
      return result === null || typeof result === 'string';
    }),
    { numRuns: 3000 },
  );
});
