// Sans-I/O protocol core: the vocabulary of a connection (role, options, events, lifecycle). No I/O.

import type { ProtocolError } from './errors.ts';

/** Which end of the connection this core plays: it decides the masking rules (§5.1). */
export type Role = 'server' | 'client';

/** Options of {@link Connection}. */
export interface ConnectionOptions {
  /** Server frames are unmasked and client frames must be masked; the client the reverse (§5.1). */
  role: Role;
  /**
   * Largest message in bytes, after inflation. Exceeding it fails the connection with 1009. The
   * frame headers of a fragmented message's continuation frames get a budget of the same size,
   * at least 64 KiB (exceeding it fails with 1008), so a message's wire size stays bounded however
   * it is fragmented.
   * @default 67108864 (64 MiB; ws's `maxPayload` is 100 MiB): large enough for files, small
   *   enough that one peer cannot take a process's memory
   */
  maxMessageSize?: number;
  /**
   * Largest frame payload in bytes (compressed size for RSV1 frames), checked at the header before
   * anything is buffered.
   * @default maxMessageSize, since a larger frame could never form a valid message
   */
  maxFrameSize?: number;
  /**
   * Most frames per message, empty ones counted; exceeding it fails with 1008. An opt-in cap: what
   * fragments cost is bounded without it (small payloads are coalesced, and the headers of a
   * message's continuation frames count against {@link maxMessageSize}, see `MessageAssembler`).
   * @default Infinity: a 4 MiB message in 64-byte fragments is legal (RFC 6455 §5.4) and costs no
   *   more than its bytes
   */
  maxFragments?: number;
  /**
   * A native check that a buffer is complete, valid UTF-8 (the engine passes `buffer.isUtf8`); the
   * protocol layer has no Node imports, so it is injected. The pure-JS DFA still decides any piece
   * the check rejects, and where a message fails (§8.1).
   * @default none: the JS DFA alone (byte at a time, ~26 % of a 4 KiB text echo's CPU)
   */
  utf8Check?: (data: Uint8Array) => boolean;
  /**
   * Whether an extension that defines RSV1 (permessage-deflate) was negotiated. RSV1 data frames
   * are then handed to the engine as `inflate` events.
   * @default false: §5.2 requires RSV1 to be 0 unless an extension is negotiated
   */
  rsv1Extension?: boolean;
  /**
   * Client role: returns 4 fresh masking-key bytes per frame. Used at once, never kept.
   * @default a CSPRNG key from an 8 KiB `crypto.randomFillSync` pool (§5.3 needs unpredictable keys);
   *   tests pass a fixed source to get deterministic bytes
   */
  maskKeySource?: () => Uint8Array;
}

/** A close frame's content as sent or received. `code` 1005 means "no status code". */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/**
 * What the core tells its owner, in arrival order. Buffers are owned by the receiver after
 * `takeEvents()`; they may be views into chunks passed to `receive()`. A `close` event with
 * `error` set may follow events of the same `receive()` call: see `Connection.receive` for when
 * its Close frame is queued.
 */
export type ConnectionEvent =
  | { type: 'message'; binary: boolean; data: Uint8Array }
  | { type: 'ping'; data: Uint8Array }
  | { type: 'pong'; data: Uint8Array }
  | { type: 'close'; code: number; reason: string; wasClean: boolean; error: ProtocolError | null }
  | { type: 'closing'; code: number; reason: string }
  | { type: 'inflate'; data: Uint8Array; fin: boolean };

/** The connection lifecycle: one discriminated union, each phase with its own data (TG). */
export type Lifecycle =
  | { readonly phase: 'open' }
  | { readonly phase: 'closing'; readonly sent: CloseInfo | null; readonly received: CloseInfo | null }
  | {
      readonly phase: 'closed';
      readonly sent: CloseInfo | null;
      readonly received: CloseInfo | null;
      readonly failure: ProtocolError | null;
    };
