// Node binding: the one place that uses net.Socket internals, to hand frames to libuv without the Writable layer.
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * What a plain TCP `net.Socket` offers below its Writable layer: `_writeGeneric(writev, data,
 * encoding, cb)` hands bytes to the handle (libuv tries the syscall at once and queues the rest
 * in order), calling `cb` synchronously when the kernel took everything. Node's own `_write` and
 * `_writev` are one-line wrappers around it (Node 20.11 to 24). `_handle.writeQueueSize` is what
 * libuv still holds.
 */
interface DirectSocket {
  _writeGeneric(writev: boolean, data: unknown, encoding: string, cb: (err?: Error | null) => void): void;
  readonly _handle: { readonly writeQueueSize?: number } | null;
  readonly connecting: boolean;
}

/** Chunks for `_writeGeneric`'s writev: Node's Writable hands `{ chunk }` entries with `allBuffers` set. */
type DirectChunks = Array<{ chunk: Uint8Array }> & { allBuffers?: boolean };

/** Frames of at most this many bytes in total are concatenated into one write; above, one writev. */
export const CONCAT_LIMIT = 16 * 1024;

/** The environment switch that forces the stream path (diagnosis, A/B measurement, the stream test run). */
export const STREAM_WRITES_ENV = 'SWITCHBOARD_STREAM_WRITES';

/** Whether direct writes are allowed in this process: `SWITCHBOARD_STREAM_WRITES=1` turns them off. */
export const directWritesEnabled: boolean = process.env[STREAM_WRITES_ENV] !== '1';

/**
 * The probe: whether writes to `socket` may skip its Writable machinery. Only for exactly
 * `net.Socket` (TLS and other Duplex streams keep the stream path), only with the internal method
 * present (a Node version without it falls back to `socket.write`), and only when the process did
 * not force the stream path.
 * @param socket - an upgraded socket
 * @returns true when {@link writeDirect} may be used on it
 */
export function supportsDirectWrite(socket: Duplex): boolean {
  return (
    directWritesEnabled &&
    Object.getPrototypeOf(socket) === Socket.prototype &&
    typeof (socket as unknown as Partial<DirectSocket>)._writeGeneric === 'function'
  );
}

/**
 * Whether a direct write keeps the byte order right now: the Writable holds nothing (a chunk
 * buffered or in flight there would be dispatched after ours), nobody corked it, and the handle
 * is connected.
 * @param socket - a socket {@link supportsDirectWrite} accepted
 */
export function canWriteDirectNow(socket: Duplex): boolean {
  const direct = socket as unknown as DirectSocket;
  return socket.writableLength === 0 && socket.writableCorked === 0 && direct._handle != null && !direct.connecting;
}

/**
 * Hands `out` to the socket's handle in one `write`/`writev`, below the Writable layer. libuv
 * writes what the kernel takes at once and queues the rest in order; `done` runs when everything
 * was handed to the kernel (synchronously, during this call, when it took all at once).
 * @param socket - a socket {@link canWriteDirectNow} accepted
 * @param out - the frames, in order; not modified
 * @param total - their byte count
 * @param done - called once, with an error when the write failed
 */
export function writeDirect(
  socket: Duplex,
  out: Uint8Array[],
  total: number,
  done: (err?: Error | null) => void,
): void {
  const direct = socket as unknown as DirectSocket;
  if (out.length === 1) {
    direct._writeGeneric(false, out[0]!, 'buffer', done);
  } else if (total <= CONCAT_LIMIT) {
    // Copying a few small frames is cheaper than a writev's per-chunk setup.
    direct._writeGeneric(false, Buffer.concat(out, total), 'buffer', done);
  } else {
    const chunks: DirectChunks = new Array(out.length);
    for (let i = 0; i < out.length; i++) chunks[i] = { chunk: out[i]! };
    chunks.allBuffers = true;
    direct._writeGeneric(true, chunks, '', done);
  }
}

/**
 * Bytes libuv still holds for the socket's handle (written directly, not yet taken by the kernel).
 * @param socket - a socket {@link supportsDirectWrite} accepted
 * @param fallback - what to report when the handle does not say (e.g. a Node version without the field)
 */
export function directQueueSize(socket: Duplex, fallback: number): number {
  const handle = (socket as unknown as DirectSocket)._handle;
  return handle === null ? 0 : (handle.writeQueueSize ?? fallback);
}
