// Node binding: the WebSocket's types, and the engine-private symbols the server, the client and the ws adapter drive it with.
import type { IncomingHttpHeaders } from 'node:http';
import type { Connection } from '../protocol/index.ts';
import type { DeflateChannel } from './deflate-channel.ts';
import type { BindingOptions, SocketBinding } from './socket-binding.ts';

/** How binary messages are handed out: Buffer (default, no copy), ArrayBuffer (copied) or Blob. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';

export { type ReadyState, ReadyStates } from './ready-states.ts';

/** What a server-side socket keeps of its upgrade request (not the IncomingMessage itself). */
export interface WebSocketRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
}

/** Heartbeat settings of one connection. */
export interface HeartbeatOptions {
  /** 0 disables the heartbeat. */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
}

/** @internal How the engine creates a WebSocket (`S`); applications use `connect()` or a server. */
export interface WebSocketInit<S = unknown> {
  readonly role: 'server' | 'client';
  readonly url: string;
  /** The peer's address, or null to read it from the socket when first asked. */
  readonly remoteAddress: string | null;
  readonly request: WebSocketRequest | null;
  readonly context: unknown;
  readonly binding: BindingOptions;
  readonly heartbeat: HeartbeatOptions;
  /** Called once when TCP closed, before the `close` event (server bookkeeping). */
  readonly onClosed: ((ws: S) => void) | null;
}

/** @internal Symbols of the engine-private methods. */
export const kAttach = Symbol('switchboard.attach');
/** @internal */
export const kStart = Symbol('switchboard.start');
/** @internal */
export const kFailConnecting = Symbol('switchboard.failConnecting');
/** @internal */
export const kSetAbort = Symbol('switchboard.setAbort');
/** @internal */
export const kSendPrebuilt = Symbol('switchboard.sendPrebuilt');
/** @internal The ws adapter's access to the core and the binding (see {@link AdapterAccess}). */
export const kAdapter = Symbol('switchboard.adapter');

/**
 * @internal What the ws adapter (ws-compat.ts) needs beyond the WHATWG surface: raw frames
 * (fragments, unsolicited pongs, bytes sent as text), flush callbacks, read pausing, and
 * messages as raw bytes (ws hands text out as a Buffer: decoding it to a string first is waste).
 */
export interface AdapterAccess {
  /** The core, for its state (`canSend`); sends go through the binding. */
  readonly connection: Connection;
  /**
   * The binding: every send (`sendMessage`, `sendString`, `sendFrame`, `sendControl`, in order
   * with permessage-deflate), `whenFlushed`, and `pause`/`resume` with `PauseReason.USER`.
   */
  readonly binding: SocketBinding;
  /** permessage-deflate, when negotiated (`afterSends` keeps callbacks behind compressions in flight). */
  readonly deflate: DeflateChannel | null;
}

/** @internal Receives every message as raw bytes instead of the WHATWG dispatch (ws adapter). */
export type RawMessageSink = (data: Uint8Array, binary: boolean) => void;
