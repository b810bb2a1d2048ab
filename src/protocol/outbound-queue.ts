// Sans-I/O protocol core: the send path. Frames are serialized (and masked by a client) into a
// list of buffers the engine writes in one go. No sockets, no timers.

import { encodeHeader } from './frame-header.ts';
import { mask } from './mask.ts';
import { Opcode, isControlOpcode, isKnownOpcode } from './opcode.ts';

/** The shared "nothing queued" list; frozen, so a push that skipped `#out()` throws instead of leaking across connections. */
const NONE: never[] = Object.freeze([]) as never[];

/**
 * Automatic pongs allowed to wait in the untaken output before the newest replaces the last one.
 * 16 covers Autobahn 2.10's burst of 10 pings in one read; 16 × 139 bytes bounds a flood.
 */
const MAX_PENDING_AUTO_PONGS = 16;

/**
 * Checks a frame an application asks to send and builds its first header byte.
 * @param rsv1Extension - whether permessage-deflate was negotiated
 * @throws TypeError for CLOSE (it has its own command) or a reserved opcode; RangeError for a
 *   fragmented or over-125-byte control frame, or RSV1 where no extension allows it
 */
export function firstHeaderByte(
  opcode: number,
  payload: Uint8Array,
  options: { fin?: boolean; rsv1?: boolean } | undefined,
  rsv1Extension: boolean,
): number {
  if (!isKnownOpcode(opcode) || opcode === Opcode.CLOSE)
    throw new TypeError(`Cannot send opcode "${opcode}" with sendFrame`);
  const fin = options?.fin ?? true;
  const rsv1 = options?.rsv1 ?? false;
  if (isControlOpcode(opcode)) {
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."
    if (!fin || payload.length > 125) throw new RangeError('Cannot send a fragmented or over-125-byte control frame');
  }
  // §5.2 / RFC 7692 §6.1: RSV1 only with the extension, only on the first frame of a data message.
  if (rsv1 && (!rsv1Extension || isControlOpcode(opcode) || opcode === Opcode.CONTINUATION)) {
    throw new RangeError('Cannot set RSV1 on this frame');
  }
  return (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
}

/**
 * The bytes a connection queued for the wire, as `[header, payload]` pairs. It knows framing and
 * masking (§5.1, §5.3), never the lifecycle: the connection decides what may be sent.
 */
export class OutboundQueue {
  readonly #client: boolean;
  readonly #maskKeySource: () => Uint8Array;
  // NONE until something is queued (an empty array per connection is 32 bytes).
  #output: Uint8Array[] = NONE;
  /** Bytes in the queue, headers included: what the engine counts as buffered, exactly. */
  #bytes = 0;
  #pendingAutoPongs = 0;
  #lastAutoPongAt = -1;

  /**
   * @param client - whether frames are masked (client role)
   * @param maskKeySource - 4 fresh key bytes per frame (client role)
   */
  constructor(client: boolean, maskKeySource: () => Uint8Array) {
    this.#client = client;
    this.#maskKeySource = maskKeySource;
  }

  /** Whether anything is queued. */
  get isEmpty(): boolean {
    return this.#output.length === 0;
  }

  /** Bytes {@link take} would hand over (headers and masking keys included). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Hands the queued buffers over (the caller owns them) and starts an empty queue. */
  take(): Uint8Array[] {
    if (this.#output.length === 0) return [];
    const out = this.#output;
    this.#output = NONE;
    this.#bytes = 0;
    this.#pendingAutoPongs = 0;
    this.#lastAutoPongAt = -1;
    return out;
  }

  /** Queues buffers serialized elsewhere (a broadcast frame), borrowed as they are. */
  pushPrebuilt(frame: Uint8Array[]): void {
    const out = this.#out();
    for (const part of frame) {
      out.push(part);
      this.#bytes += part.length;
    }
  }

  /**
   * Queues `[header, payload]`. Server: payload referenced as is. Client: masked, in place when owned.
   * @param b0 - the first header byte (FIN, RSV1, opcode)
   * @param owned - whether the queue may mask `payload` in place
   * @throws RangeError when the mask key source returns other than 4 bytes (or whatever it throws)
   */
  frame(b0: number, payload: Uint8Array, owned: boolean): void {
    if (!this.#client) {
      const header = encodeHeader(b0, payload.length, null);
      this.#out().push(header, payload);
      this.#bytes += header.length + payload.length;
      return;
    }
    // §5.3: the client masks every frame with a fresh key; borrowed bytes are masked into a copy (WS `readOnly`).
    const key = this.#maskKeySource();
    if (key.length !== 4) throw new RangeError(`Cannot use a ${key.length}-byte masking key: it must be 4 bytes`);
    const header = encodeHeader(b0, payload.length, key);
    let body = payload;
    if (payload.length > 0) {
      // Uint8Array's slice copies; Buffer#slice would be a view, and masking it would change the caller's bytes.
      body = owned ? payload : Uint8Array.prototype.slice.call(payload);
      mask(body, key, 0);
    }
    this.#out().push(header, body);
    this.#bytes += header.length + body.length;
  }

  /**
   * RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response"
   * with "identical Application data". Every ping is answered until {@link MAX_PENDING_AUTO_PONGS}
   * pongs wait in the untaken output; after that §5.5.3 ("an endpoint MAY elect to send a Pong
   * frame for only the most recently processed Ping frame") lets the newest replace the last
   * pending one, so a ping flood against a peer that never reads keeps the output bounded
   * (docs/security-cases.md FR-15) while a burst of pings in one read still gets every pong (Autobahn 2.10).
   */
  autoPong(payload: Uint8Array): void {
    // Copied: the ping event hands the same bytes to the application. Uint8Array's slice, because
    // Buffer#slice is a view and the payload is usually a view into a socket Buffer.
    const copy = Uint8Array.prototype.slice.call(payload);
    if (this.#pendingAutoPongs < MAX_PENDING_AUTO_PONGS) {
      this.#pendingAutoPongs++;
      this.#lastAutoPongAt = this.#out().length;
      this.frame(0x80 | Opcode.PONG, copy, true);
      return;
    }
    const at = this.#lastAutoPongAt;
    const key = this.#client ? this.#maskKeySource() : null;
    const header = encodeHeader(0x80 | Opcode.PONG, copy.length, key);
    this.#bytes += header.length + copy.length - this.#output[at]!.length - this.#output[at + 1]!.length;
    this.#output[at] = header;
    if (key !== null && copy.length > 0) mask(copy, key, 0);
    this.#output[at + 1] = copy;
  }

  /** The output list to push to (allocated on first use). */
  #out(): Uint8Array[] {
    if (this.#output === NONE) this.#output = [];
    return this.#output;
  }
}
