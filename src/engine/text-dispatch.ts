// Node binding: decoding received text, and the echo shortcut that lets a handler send it back without re-encoding.
import { asBuffer } from './byte-views.ts';

interface BufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/**
 * Decodes an already validated UTF-8 payload. Short ASCII takes the latin1 slice, which skips
 * the UTF-8 decoder's setup (most chat and JSON messages are short ASCII).
 * @param data - valid UTF-8 (the core checked it)
 */
export function decodeText(data: Uint8Array): string {
  const buf = asBuffer(data) as unknown as BufferSlices;
  const n = data.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && data[i]! < 0x80) i++;
    if (i === n) return buf.latin1Slice(0, n);
  }
  return buf.utf8Slice(0, n);
}

/**
 * The text message being handed to its handlers and its validated UTF-8 bytes. A `send()` of
 * that very string during the call (an echo, a relay) queues these bytes instead of encoding the
 * string again: valid UTF-8 decodes and re-encodes to the same bytes, and nothing writes to a
 * received payload after unmasking (the decoder and assembler hand out views they never reuse).
 * Set only around the synchronous handler call, so it keeps no message alive.
 */
let dispatchedText: string | null = null;
let dispatchedTextBytes: Uint8Array | null = null;

/**
 * The received bytes of `text` when it is the message being dispatched right now, else null.
 * @param text - a string about to be sent
 */
export function echoBytesOf(text: string): Uint8Array | null {
  return dispatchedText !== null && text === dispatchedText ? dispatchedTextBytes : null;
}

/**
 * Calls `fn` with `event` while `text` (decoded from `bytes`) is the message being dispatched,
 * for {@link echoBytesOf}. Nested dispatches (a handler that makes another socket dispatch
 * synchronously) restore the outer message afterwards.
 * @param text - the decoded message
 * @param bytes - its received UTF-8 bytes
 * @param fn - the dispatch, called as `fn.call(self, event)`
 */
export function dispatchText<T, E>(
  text: string,
  bytes: Uint8Array,
  fn: (this: T, event: E) => void,
  self: T,
  event: E,
): void {
  const previousText = dispatchedText;
  const previousBytes = dispatchedTextBytes;
  dispatchedText = text;
  dispatchedTextBytes = bytes;
  try {
    fn.call(self, event);
  } finally {
    dispatchedText = previousText;
    dispatchedTextBytes = previousBytes;
  }
}
