// Sans-I/O protocol core: a streaming UTF-8 validator (RFC 3629 DFA). No sockets, no timers.

// Björn Höhrmann's DFA ("Flexible and Economical UTF-8 Decoder", 2010). The first 256 entries map
// a byte to a character class; the rest maps state + class to the next state. A state is a
// multiple of 12: 0 accepts, 12 rejects. The DFA rejects at the first byte that cannot continue
// any valid sequence (overlongs at C0/C1/E0 8x/F0 8x, surrogates at ED Ax, > U+10FFFF at F4 9x),
// which is what Autobahn 6.4.x calls failing fast.
const DFA = new Uint8Array([
  // 0x00-0x7F
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // 0x80-0x8F, 0x90-0x9F
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
  // 0xA0-0xBF
  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  // 0xC0-0xDF
  8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  // 0xE0-0xFF
  10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
  // transitions
  0, 12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 0, 12, 12, 12, 12,
  12, 0, 12, 0, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12,
  12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12,
  12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
]);

const ACCEPT = 0;
const REJECT = 12;

/**
 * Runs the DFA from `state` over `data[start, end)`.
 * @returns the final state, or `-(index + 1)` of the first rejected byte
 */
function run(state: number, data: Uint8Array, start: number, end: number): number {
  let i = start;
  for (;;) {
    // ASCII fast path: only valid between sequences; profiling-free judgment: text is mostly ASCII.
    if (state === ACCEPT) {
      while (i < end && data[i]! < 0x80) i++;
    }
    if (i >= end) return state;
    const byte = data[i]!;
    state = DFA[256 + state + DFA[byte]!]!;
    if (state === REJECT) return -(i + 1);
    i++;
  }
}

/**
 * Incremental UTF-8 validator: feed the bytes of one text message in any number of pieces (a code
 * point may span pieces, RFC 6455 §5.6), learn of an invalid byte as soon as it arrives, and ask
 * at the end whether the message stopped inside a sequence.
 *
 * @example
 * ```ts
 * const v = createUtf8Validator();
 * v.feed(new Uint8Array([0xce])); // true: may still become valid
 * v.feed(new Uint8Array([0xba])); // true
 * v.complete;                     // true: "κ"
 * ```
 */
export class Utf8Validator {
  #state = ACCEPT;
  #failedAt = -1;
  #offset = 0;
  readonly #wholeCheck: ((data: Uint8Array) => boolean) | null;

  /**
   * @param wholeCheck - optional native check that `data` is complete, valid UTF-8 (the engine
   *   passes `buffer.isUtf8`, SIMD); used between code points, with the DFA as the authority
   *   whenever it says no (a piece may end inside a code point)
   */
  constructor(wholeCheck?: (data: Uint8Array) => boolean) {
    this.#wholeCheck = wholeCheck ?? null;
  }

  /**
   * Validates the next piece. Does not read or keep `data` after returning.
   * @param data - the next bytes of the stream
   * @param start - first index to read, default 0
   * @param end - index after the last byte to read, default `data.length`
   * @returns false once an invalid byte was seen (now or earlier)
   */
  feed(data: Uint8Array, start = 0, end: number = data.length): boolean {
    if (this.#state === REJECT) return false;
    const check = this.#wholeCheck;
    if (check !== null && this.#state === ACCEPT && end - start >= 64) {
      // Complete valid UTF-8 leaves the DFA in ACCEPT: nothing else to record.
      if (check(start === 0 && end === data.length ? data : data.subarray(start, end))) {
        this.#offset += end - start;
        return true;
      }
    }
    const result = run(this.#state, data, start, end);
    if (result < 0) {
      this.#failedAt = this.#offset + (-result - 1 - start);
      this.#state = REJECT;
      return false;
    }
    this.#state = result;
    this.#offset += end - start;
    return true;
  }

  /** True when every byte so far was valid and the stream does not end inside a code point. */
  get complete(): boolean {
    return this.#state === ACCEPT;
  }

  /** True once an invalid byte was fed. */
  get failed(): boolean {
    return this.#state === REJECT;
  }

  /** Stream index of the first invalid byte, or -1. */
  get failedAt(): number {
    return this.#failedAt;
  }

  /** Forgets all state, for the next message. */
  reset(): void {
    this.#state = ACCEPT;
    this.#failedAt = -1;
    this.#offset = 0;
  }
}

/**
 * Creates a fresh {@link Utf8Validator}.
 * @returns a validator in its initial (accepting) state
 */
export function createUtf8Validator(): Utf8Validator {
  return new Utf8Validator();
}

/**
 * Whether `data` is complete, valid UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
 * @param data - bytes to check; not kept
 * @returns true when valid
 */
export function isUtf8Valid(data: Uint8Array): boolean {
  return run(ACCEPT, data, 0, data.length) === ACCEPT;
}
