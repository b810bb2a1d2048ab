// Test helper: permessage-deflate by hand with Node's zlib (RFC 7692 §7.2), independent of the engine's deflate.ts.
import zlib from 'node:zlib';

/** RFC 7692 §7.2.1: the 4 octets a sync flush ends with. */
export const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** One message compressed from an empty window, the tail removed (RFC 7692 §7.2.1). */
export function deflateMessage(data: Uint8Array | string, windowBits = 15): Buffer {
  const out = zlib.deflateRawSync(typeof data === 'string' ? Buffer.from(data) : data, {
    windowBits,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  return out.subarray(0, out.length - 4);
}

/** A raw deflater that keeps its window between messages (context takeover). */
export class Deflater {
  readonly #stream: zlib.DeflateRaw;
  #chunks: Buffer[] = [];

  constructor(windowBits = 15) {
    this.#stream = zlib.createDeflateRaw({ windowBits, flush: zlib.constants.Z_SYNC_FLUSH });
    this.#stream.on('data', (c: Buffer) => this.#chunks.push(c));
  }

  async message(data: Uint8Array | string): Promise<Buffer> {
    await new Promise<void>((r) => this.#stream.write(typeof data === 'string' ? Buffer.from(data) : data, () => r()));
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [];
    return all.subarray(0, all.length - 4);
  }

  close(): void {
    this.#stream.close();
  }
}

/** A raw inflater that keeps its window between messages; `fresh` makes one per message. */
export class Inflater {
  readonly #windowBits: number;
  readonly #fresh: boolean;
  #stream: zlib.InflateRaw | null = null;

  constructor(options: { windowBits?: number; fresh?: boolean } = {}) {
    this.#windowBits = options.windowBits ?? 15;
    this.#fresh = options.fresh ?? false;
  }

  async message(payload: Uint8Array): Promise<Buffer> {
    if (this.#stream === null || this.#fresh) {
      this.#stream?.close();
      this.#stream = zlib.createInflateRaw({ windowBits: this.#windowBits });
    }
    const stream = this.#stream;
    const chunks: Buffer[] = [];
    const onData = (c: Buffer): number => chunks.push(c);
    stream.on('data', onData);
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.write(Buffer.concat([payload, TAIL]), () => resolve());
      });
    } finally {
      stream.off('data', onData);
    }
    return Buffer.concat(chunks);
  }

  close(): void {
    this.#stream?.close();
  }
}

/** Parses a `Sec-WebSocket-Extensions` answer into its parameters (simple: tests only). */
export function extensionParams(header: string | undefined): Map<string, string | true> | null {
  if (header === undefined || header === '') return null;
  const [name, ...params] = header.split(';').map((p) => p.trim());
  if (name !== 'permessage-deflate') return null;
  const out = new Map<string, string | true>();
  for (const p of params) {
    const [k, v] = p.split('=');
    out.set(k!.trim(), v === undefined ? true : v.trim());
  }
  return out;
}

/**
 * A decompression bomb: `inflatedBytes` zero bytes as one permessage-deflate payload of about
 * inflatedBytes/1000 bytes, built without ever holding the zeros (each 1 MiB of zeros after the
 * first compresses to the same sync-flushed block, which is repeated).
 */
export async function zeroBomb(inflatedBytes: number): Promise<Buffer> {
  const MiB = 1024 * 1024;
  const zeros = Buffer.alloc(MiB);
  const d = new Deflater();
  const first = await d.message(zeros);
  const steady = await d.message(zeros);
  const again = await d.message(zeros);
  d.close();
  if (!steady.equals(again)) throw new Error('zlib output for repeated zeros is not stable');
  // Between messages the removed tail is put back: it completes the empty stored block the previous
  // flush started (RFC 7692 §7.2.1), so the blocks join into one valid stream.
  const count = Math.ceil(inflatedBytes / MiB) - 1;
  const joined = Buffer.concat([steady, TAIL]);
  return Buffer.concat([first, TAIL, ...Array.from({ length: count - 1 }, () => joined), steady]);
}
