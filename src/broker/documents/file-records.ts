// Broker (document files): the on-disk format of a document's log, a header then length- and CRC-framed records.
//
//   header  "SBYD" 0x02 0x00 0x00 0x00                          (8 bytes: magic, format version, reserved)
//   record  u32 BE payload length | u32 BE CRC-32 of type+payload | u8 type | payload
//
// A snapshot record replaces everything before it; update records follow in append order. In format 2 a snapshot's
// payload starts with the u64 BE sequence number of the last update it covers (the updates after it are numbered on
// from there); format 1 (read, never written) had no number, so its snapshot counts as 0. A crash in the middle of
// an append leaves a torn last record, which `parseLog` reports so the store truncates it (that append was never
// acknowledged). Damage anywhere else is refused, never silently dropped.
import { crc32 } from 'node:zlib';

/** Bytes of the file header. */
export const HEADER_BYTES = 8;
/** Bytes before a record's payload: length, CRC and type. */
export const RECORD_HEADER_BYTES = 9;
const MAGIC = Buffer.from('SBYD', 'latin1');
const FORMAT_VERSION = 2;
/** The first format, without a snapshot's sequence number: still read, and appended to as it is. */
const FORMAT_VERSION_1 = 1;
/** Bytes of the sequence number at the start of a format 2 snapshot payload. */
const SNAPSHOT_SEQ_BYTES = 8;

/** Record types. */
export const RecordType = { snapshot: 1, update: 2 } as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** The file header of the current format version. */
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

/** The payload of a snapshot record: the seq of the last update it covers, then the snapshot. */
export function snapshotPayload(seq: number, snapshot: Uint8Array): Buffer {
  const payload = Buffer.allocUnsafe(SNAPSHOT_SEQ_BYTES + snapshot.byteLength);
  payload.writeBigUInt64BE(BigInt(seq), 0);
  payload.set(snapshot, SNAPSHOT_SEQ_BYTES);
  return payload;
}

/** A parsed log. */
export interface ParsedLog {
  readonly snapshot: Uint8Array | null;
  /** Sequence number of the last update the snapshot covers (0 without one); the first update is this plus 1. */
  readonly snapshotSeq: number;
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
    return { snapshot: null, snapshotSeq: 0, updates: [], bytes: 0, validLength: 0 };
  }
  if (!file.subarray(0, MAGIC.length).equals(MAGIC)) throw new CorruptLogError('Not a document log (bad magic)');
  const version = file[4];
  if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_1) {
    throw new CorruptLogError(`Unknown document log version ${version}`);
  }
  let snapshot: Uint8Array | null = null;
  let snapshotSeq = 0;
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
    if (type === RecordType.snapshot && version === FORMAT_VERSION) {
      if (body.length - 1 < SNAPSHOT_SEQ_BYTES)
        throw new CorruptLogError(`Snapshot record at byte ${offset} too short`);
      snapshotSeq = Number(body.readBigUInt64BE(1));
      const payload = new Uint8Array(body.subarray(1 + SNAPSHOT_SEQ_BYTES));
      snapshot = payload;
      updates = [];
      bytes = payload.byteLength;
      offset = end;
      continue;
    }
    const payload = new Uint8Array(body.subarray(1));
    if (type === RecordType.snapshot) {
      snapshotSeq = 0;
      snapshot = payload;
      updates = [];
      bytes = payload.byteLength;
    } else {
      updates.push(payload);
      bytes += payload.byteLength;
    }
    offset = end;
  }
  return { snapshot, snapshotSeq, updates, bytes, validLength: offset };
}
