// Node-free application protocol: a linear, allocation-free MessagePack validator that runs before msgpackr.

/** Limits for {@link scanMsgpack}. */
export interface MsgpackScanOptions {
  /** Maximum nesting of arrays/maps (the top-level map counts as 1). */
  readonly maxDepth: number;
}

// The same keys as `isForbiddenKey` in safe-value.ts, as bytes (a test keeps the two lists equal).
const FORBIDDEN_KEY_BYTES: readonly Uint8Array[] = ['__proto__', 'constructor', 'prototype'].map((k) =>
  Uint8Array.from(k, (ch) => ch.charCodeAt(0)),
);

function isForbiddenKeyBytes(bytes: Uint8Array, start: number, length: number): boolean {
  outer: for (const key of FORBIDDEN_KEY_BYTES) {
    if (key.length !== length) continue;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== key[i]) continue outer;
    return true;
  }
  return false;
}

/**
 * Walks one MessagePack value and accepts only the JSON-compatible subset: nil, booleans, integers within the
 * safe range, finite floats, strings, arrays and maps with string keys. It rejects extension types (so
 * msgpackr's record, error and regexp extensions can never run), binary values, the reserved byte 0xc1,
 * forbidden keys (`__proto__`, `constructor`, `prototype`), nesting past `maxDepth`, trailing bytes, and any
 * declared length or element count larger than the bytes that remain, before anything is allocated
 * (docs/security-cases.md AP-10: `dd ff ff ff ff` and a huge `bin32` header cost nothing).
 *
 * The walk is iterative and linear in the input length.
 *
 * @param bytes One complete MessagePack document.
 * @param options Limits.
 * @returns null when valid, else a short reason that never echoes peer data.
 */
export function scanMsgpack(bytes: Uint8Array, options: MsgpackScanOptions): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  // Per open container: values still expected, and whether it is a map (then even positions are keys).
  const remaining: number[] = [];
  const isMap: boolean[] = [];
  let pos = 0;
  let values = 1; // values still expected at top level
  for (;;) {
    // Close finished containers.
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      isMap.pop();
    }
    const top = remaining.length - 1;
    if (top < 0) {
      if (values === 0) return pos === end ? null : 'Cannot decode MessagePack: trailing bytes';
      values--;
    }
    const expectKey = top >= 0 && isMap[top] === true && remaining[top]! % 2 === 0;
    if (top >= 0) remaining[top]!--;
    if (pos >= end) return 'Cannot decode MessagePack: truncated input';
    const b = bytes[pos++]!;
    let strLength = -1;
    let count = -1;
    let map = false;
    if (b <= 0x7f || b >= 0xe0) {
      // positive / negative fixint
    } else if (b >= 0xa0 && b <= 0xbf) {
      strLength = b & 0x1f;
    } else if (b >= 0x90 && b <= 0x9f) {
      count = b & 0x0f;
    } else if (b >= 0x80 && b <= 0x8f) {
      count = (b & 0x0f) * 2;
      map = true;
    } else {
      const need = HEADER_BYTES.get(b);
      if (need === undefined)
        return b === 0xc1 ? 'Cannot decode MessagePack: reserved byte' : 'Cannot decode MessagePack: unsupported type';
      if (end - pos < need) return 'Cannot decode MessagePack: truncated input';
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break;
        case 0xca:
          if (!Number.isFinite(view.getFloat32(pos))) return 'Cannot accept a non-finite number';
          break;
        case 0xcb:
          if (!Number.isFinite(view.getFloat64(pos))) return 'Cannot accept a non-finite number';
          break;
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xd0:
        case 0xd1:
        case 0xd2:
          break;
        case 0xcf:
          if (view.getBigUint64(pos) > BigInt(Number.MAX_SAFE_INTEGER))
            return 'Cannot accept an integer outside the safe range';
          break;
        case 0xd3: {
          const v = view.getBigInt64(pos);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
            return 'Cannot accept an integer outside the safe range';
          break;
        }
        case 0xd9:
          strLength = bytes[pos]!;
          break;
        case 0xda:
          strLength = view.getUint16(pos);
          break;
        case 0xdb:
          strLength = view.getUint32(pos);
          break;
        case 0xdc:
          count = view.getUint16(pos);
          break;
        case 0xdd:
          count = view.getUint32(pos);
          break;
        case 0xde:
          count = view.getUint16(pos) * 2;
          map = true;
          break;
        case 0xdf:
          count = view.getUint32(pos) * 2;
          map = true;
          break;
        default:
          return 'Cannot decode MessagePack: unsupported type';
      }
      pos += need;
    }
    if (expectKey && strLength < 0) return 'Cannot accept a map key that is not a string';
    if (strLength >= 0) {
      // Checked against the bytes present before anything is read or allocated.
      if (strLength > end - pos) return 'Cannot decode MessagePack: truncated input';
      if (expectKey && isForbiddenKeyBytes(bytes, pos, strLength)) return 'Cannot accept a reserved key';
      pos += strLength;
    } else if (count >= 0) {
      // Every element takes at least one byte: a count beyond the remaining bytes is a lie, refused up front.
      if (count > end - pos) return 'Cannot decode MessagePack: truncated input';
      if (remaining.length + 1 > options.maxDepth) return 'Cannot accept the message: nested too deep';
      remaining.push(count);
      isMap.push(map);
    }
  }
}

/** Bytes that follow the type byte before the value (or the length) for the accepted non-fix types. */
const HEADER_BYTES: ReadonlyMap<number, number> = new Map([
  [0xc0, 0],
  [0xc2, 0],
  [0xc3, 0],
  [0xca, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
  [0xd9, 1],
  [0xda, 2],
  [0xdb, 4],
  [0xdc, 2],
  [0xdd, 4],
  [0xde, 2],
  [0xdf, 4],
]);
