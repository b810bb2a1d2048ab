// Sans-I/O protocol core: the RFC 6455 §5.2 opcode registry. No sockets, no timers.

/**
 * Frame opcodes (RFC 6455 §5.2, §11.8). `as const` object plus a type of the same name, so the
 * code stays erasable under type-stripping.
 *
 * @example
 * ```ts
 * import { Opcode, isControlOpcode } from './opcode.ts';
 * isControlOpcode(Opcode.PING); // true
 * ```
 */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** One of the opcodes defined by RFC 6455 (the reserved ones 0x3-0x7 and 0xB-0xF are excluded). */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/**
 * Whether `opcode` is defined by RFC 6455. §5.2: "If an unknown opcode is received, the receiving
 * endpoint MUST _Fail the WebSocket Connection_."
 *
 * @param opcode - the 4-bit opcode from a frame header
 * @returns true for 0x0-0x2 and 0x8-0xA
 */
export function isKnownOpcode(opcode: number): opcode is Opcode {
  return opcode <= 0x2 ? opcode >= 0 : opcode >= 0x8 && opcode <= 0xa;
}

/**
 * Whether `opcode` denotes a control frame. §5.5: "Control frames are identified by opcodes where
 * the most significant bit of the opcode is 1."
 *
 * @param opcode - the 4-bit opcode from a frame header
 * @returns true for 0x8-0xF
 */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}
