// Broker (document files): a document name as a file name that cannot leave the store's directory.
import { createHash } from 'node:crypto';

/** File name suffix of a document's log. */
export const DOCUMENT_FILE_SUFFIX = '.ydoc';
/** Suffix of the temporary file a compaction writes before renaming it over the log. */
export const COMPACT_TEMP_SUFFIX = '.compacting';
/**
 * Longest escaped name kept as is; longer ones keep a prefix and a hash. 150 bytes plus the suffixes stays well
 * under the 255-byte file name limit of ext4, XFS, APFS and NTFS.
 */
const MAX_ESCAPED_LENGTH = 150;
/** Escaped characters kept before the hash of a long name, so a directory listing still hints at the document. */
const LONG_NAME_PREFIX_LENGTH = 80;

/**
 * The file name (without directory) of document `name`: lower-case letters, digits and `-` are kept, every other
 * UTF-8 byte becomes `_` and two hex digits (so `.`, `/`, `\`, NUL and upper case never reach the file system, names
 * differing only in case stay apart on case-insensitive file systems, and the mapping is one-to-one). An escaped
 * name over 150 characters becomes its first 80 characters, `~` and the SHA-256 of the name.
 * @throws TypeError for an empty name
 */
export function documentFileName(name: string): string {
  if (name.length === 0) throw new TypeError('A document name cannot be empty');
  let escaped = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const kept = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d;
    escaped += kept ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`;
  }
  if (escaped.length > MAX_ESCAPED_LENGTH) {
    const hash = createHash('sha256').update(name, 'utf8').digest('hex');
    escaped = `${escaped.slice(0, LONG_NAME_PREFIX_LENGTH)}~${hash}`;
  }
  return `${escaped}${DOCUMENT_FILE_SUFFIX}`;
}
