// Tests for src/protocol/opcode.ts: the registry and its predicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Opcode, isControlOpcode, isKnownOpcode } from '../../src/protocol/opcode.ts';

test('opcode values match RFC 6455 §5.2', () => {
  assert.deepEqual(Opcode, { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 });
});

test('reserved opcodes 0x3-0x7 and 0xB-0xF are unknown (RFC 6455 §5.2)', () => {
  const known = [];
  for (let op = 0; op < 16; op++) if (isKnownOpcode(op)) known.push(op);
  assert.deepEqual(known, [0, 1, 2, 8, 9, 10]);
  assert.equal(isKnownOpcode(-1), false);
});

test('control opcodes have the most significant bit set (RFC 6455 §5.5)', () => {
  for (let op = 0; op < 16; op++) assert.equal(isControlOpcode(op), op >= 8, `opcode ${op}`);
});
