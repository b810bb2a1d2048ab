// Realtime: per-session traffic counters (messages and bytes each way), plain integers bumped on the send and receive paths.

/**
 * What one session sent and received, for its close log line. Bytes are counted as the metrics count them: the
 * frame's length (bytes for MessagePack, UTF-16 code units for JSON text), taken without re-encoding anything.
 */
export class TrafficCounters {
  /** Frames received from the client (a batch counts once). */
  messagesIn = 0;
  bytesIn = 0;
  /** Messages sent to the client: replies, errors and fan-out deliveries alike. */
  messagesOut = 0;
  bytesOut = 0;

  /**
   * Counts one frame received.
   * @param bytes Its length.
   */
  received(bytes: number): void {
    this.messagesIn++;
    this.bytesIn += bytes;
  }

  /**
   * Counts one message sent.
   * @param bytes Its encoded length.
   */
  sent(bytes: number): void {
    this.messagesOut++;
    this.bytesOut += bytes;
  }
}

/**
 * The length the counters record for a frame.
 * @param frame An encoded frame.
 * @returns Its length (UTF-16 code units for text, bytes for binary).
 */
export function frameLength(frame: string | Uint8Array): number {
  return typeof frame === 'string' ? frame.length : frame.byteLength;
}
