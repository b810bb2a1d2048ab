// Realtime documents: the base64 form of Yjs bytes in `doc` messages (docs/documents.md, "Why base64").

/**
 * Decodes the `data` of a `doc` message. The schema already checked it is canonical standard base64.
 * @param data Base64 text.
 * @returns The bytes (a view over a fresh buffer).
 */
export function fromBase64(data: string): Uint8Array {
  const buffer = Buffer.from(data, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Encodes Yjs bytes for a `doc` message.
 * @param bytes The bytes.
 * @returns Standard base64 with padding.
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
