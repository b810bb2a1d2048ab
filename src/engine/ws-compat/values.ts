// Node binding: the values ws's API takes and hands out, and their conversions.
import type { HandshakeResponse } from '../client.ts';

/** How binary messages are handed to `message` listeners (text messages are always a Buffer, as in ws 8). */
export type WsBinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob';

/** What `send()`, `ping()` and `pong()` accept (ws turns numbers into strings). */
export type WsData = string | number | Buffer | ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

/** A received message: a Buffer, an ArrayBuffer, a Blob or a list of Buffers, as `binaryType` says. */
export type WsMessageData = Buffer | ArrayBuffer | Blob | Buffer[];

/** Options of {@link WebSocket.send} (ws's names). */
export interface WsSendOptions {
  /** Send as a binary message. @default true unless `data` is a string (ws) */
  binary?: boolean;
  /** False sends the message uncompressed when permessage-deflate was negotiated. @default true */
  compress?: boolean;
  /** False sends a fragment: the message continues with the next `send()`. @default true */
  fin?: boolean;
  /** Ignored: the role decides masking (RFC 6455 §5.1: clients mask, servers never do). */
  mask?: boolean;
}

/**
 * The handshake response given to `upgrade` and `unexpected-response` listeners: the status and
 * headers of ws's `http.IncomingMessage` (no body stream).
 */
export interface WsResponseLike {
  readonly statusCode: number;
  /** Lower-case names; a repeated header is an array, and `set-cookie` always is (as Node's IncomingMessage). */
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/** The engine's handshake response in the shape of ws's `http.IncomingMessage` (`set-cookie` always an array). */
export function responseLike(res: HandshakeResponse): WsResponseLike {
  const cookie = res.headers['set-cookie'];
  if (typeof cookie !== 'string') return { statusCode: res.statusCode, headers: res.headers };
  return { statusCode: res.statusCode, headers: { ...res.headers, 'set-cookie': [cookie] } };
}

/** ws's `toBuffer`: bytes of any accepted value, without copying binary input. */
export function toBytes(data: WsData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (typeof data === 'number') return Buffer.from(String(data), 'utf8');
  if (ArrayBuffer.isView(data))
    return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer))
    return new Uint8Array(data);
  throw new TypeError('Cannot send: data must be a string, a number, a Buffer, an ArrayBuffer or an ArrayBufferView');
}
