// Node binding: Buffer and plain Uint8Array views of the same bytes, without copying.

/**
 * A Buffer over the same bytes (no copy): what Node APIs and `nodebuffer` messages hand out.
 * @param data - any byte view
 */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A plain Uint8Array view of the same bytes. The client core copies borrowed payloads with
 * `.slice()` before masking them in place, and `Buffer#slice` is a view, not a copy: handing the
 * client core a Buffer would mask the caller's bytes. A plain view makes `.slice()` copy.
 * @param data - any byte view
 */
export function plainView(data: Uint8Array): Uint8Array {
  return Buffer.isBuffer(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data;
}
