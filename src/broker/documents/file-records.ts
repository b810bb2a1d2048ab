// Broker (document files): the on-disk format of a document's log, a header then length- and CRC-framed records.
//
//   header  "SBYD" 0x01 0x00 0x00 0x00                          (8 bytes: magic, format version, reserved)
//   record  u32 BE payload length | u32 BE CRC-32 of type+payload | u8 type | payload
//
// A snapshot record replaces everything before it; update records follow in append order. A crash in the middle of
// an append leaves a torn last record, which `parseLog` reports so the store truncates it (that append was never
// acknowledged). Damage anywhere else is refused, never silently dropped.
import { crc32 } from 'node:zlib';

/** Bytes of the file header. */
export const HEADER_BYTES = 8;
/** Bytes before a record's payload: length, CRC and type. */
export const RECORD_HEADER_BYTES = 9;
const MAGIC = Buffer.from('SBYD', 'latin1');
const FORMAT_VERSION = 1;

/** Record types. */
export const RecordType = { snapshot: 1, update: 2 } as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The file header of format version 1. */
export function fileHeader(): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = FORMAT_VERSION;
  return header;
}

/** One framed record: header and payload in a single buffer, ready to append. */
export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  record.writeUInt32BE(payload.byteLength, 0);
  record[8] = type;
  record.set(payload, RECORD_HEADER_BYTES);
  record.writeUInt32BE(crc32(record.subarray(8)), 4);
  return record;
}

/** A parsed log. */
export interface ParsedLog {
  readonly snapshot: Uint8Array | null;
  readonly updates: Uint8Array[];
  /** Bytes of snapshot plus updates (payloads only). */
  readonly bytes: number;
  /** Length of the valid prefix of the file; less than the file's length when its last record is torn. */
  readonly validLength: number;
}

/** The log holds damage that a crash during an append cannot explain. */
export class CorruptLogError extends Error {
  override readonly name = 'CorruptLogError';
}

function allZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/**
 * Parses a whole log file. A torn tail (a record cut short by the end of the file, a bad last record, or a tail of
 * zero bytes, as a crash in the middle of a write leaves) ends the valid prefix; the payloads are copies, not views.
 * @throws CorruptLogError on a wrong header or a bad record followed by more data
 */
export function parseLog(file: Buffer): ParsedLog {
  if (file.length < HEADER_BYTES) {
    // The header and the first record are written together: a short header is a torn first append.
    if (!MAGIC.subarray(0, Math.min(file.length, MAGIC.length)).equals(file.subarray(0, MAGIC.length))) {
      throw new CorruptLogError('Not a document log (bad magic)');
    }
    return { snapshot: null, updates: [], bytes: 0, validLength: 0 };
  }
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw new CorruptLogError('Not a document log (bad magic)');
  if (file[4] !== FORMAT_VERSION) throw new CorruptLogError(`Unknown document log version ${file[4]}`);
  let snapshot: Uint8Array | null = null;
  let updates: Uint8Array[] = [];
  let bytes = 0;
  let offset = HEADER_BYTES;
  while (offset < file.length) {
    const rest = file.length - offset;
    if (rest < RECORD_HEADER_BYTES) break; // a record header cut short: torn
    const length = file.readUInt32BE(offset);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > file.length) break; // the payload runs past the end of the file: torn
    const body = file.subarray(offset + 8, end);
    const type = file[offset + 8];
    const valid =
      crc32(body) === file.readUInt32BE(offset + 4) && (type === RecordType.snapshot || type === RecordType.update);
    if (!valid) {
      // The last record, or garbage that is only zero bytes (a file extended but not yet written), is a torn append.
      if (end === file.length || allZero(file.subarray(offset))) break;
      throw new CorruptLogError(`Damaged record at byte ${offset} followed by ${file.length - end} more bytes`);
    }
    const payload = new Uint8Array(body.subarray(1));
    if (type === RecordType.snapshot) {
      snapshot = payload;
      updates = [];
      bytes = payload.byteLength;
    } else {
      updates.push(payload);
      bytes += payload.byteLength;
    }
    offset = end;
  }
  return { snapshot, updates, bytes, validLength: offset };
}
