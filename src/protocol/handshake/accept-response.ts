// Sans-I/O handshake: the 101 answer as bytes, from a prebuilt template; only the accept key (and a chosen subprotocol or extension) is written per connection. No sockets, no timers.
import { computeAcceptKey, isValidKey } from './accept-key.ts';
import { buildAcceptResponse } from './request.ts';

const HEAD = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ';
const ACCEPT_LENGTH = 28;
const TEMPLATE = Uint8Array.from(`${HEAD}${'='.repeat(ACCEPT_LENGTH)}\r\n\r\n`, (c) => c.charCodeAt(0));
const KEY_AT = HEAD.length;
const utf8 = new TextEncoder();

/**
 * The complete `101 Switching Protocols` head as bytes, the same bytes as
 * `buildAcceptResponse(opts)` encodes to. Without a subprotocol, extension or extra header (the
 * common upgrade) it copies a prebuilt template and writes the 28 accept-key characters into it:
 * no string concatenation and no UTF-8 encoding per handshake.
 * @param opts - as {@link buildAcceptResponse}
 * @param alloc - allocates the answer of the common shape (the engine passes a pooled allocator)
 * @returns the head, ASCII
 * @throws {TypeError} as {@link buildAcceptResponse}
 */
export function encodeAcceptResponse(
  opts: { key: string; protocol?: string | null; extensions?: string | null; headers?: Record<string, string> },
  alloc: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Uint8Array {
  const plain =
    (opts.protocol === undefined || opts.protocol === null || opts.protocol === '') &&
    (opts.extensions === undefined || opts.extensions === null || opts.extensions === '') &&
    opts.headers === undefined;
  // Rare shapes are built as text and encoded as a socket would encode the string (UTF-8).
  if (!plain) return utf8.encode(buildAcceptResponse(opts));
  if (!isValidKey(opts.key)) throw new TypeError('Cannot build the accept response: invalid Sec-WebSocket-Key');
  const accept = computeAcceptKey(opts.key);
  const out = alloc(TEMPLATE.length);
  out.set(TEMPLATE, 0);
  for (let i = 0; i < ACCEPT_LENGTH; i++) out[KEY_AT + i] = accept.charCodeAt(i);
  return out;
}
