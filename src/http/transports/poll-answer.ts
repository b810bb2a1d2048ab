// HTTP transports: a long-poll answer, its messages encoded once for the sessions of a fan-out that hold the same.
import type { RawAnswer } from './answers.ts';

/** A run of frames joined by commas (JSON array members), as text and as UTF-8. */
export interface JoinedRun {
  readonly text: string;
  readonly bytes: Buffer;
}

/**
 * The last run of frames joined. In a fan-out every session of a channel queues the same frame strings (one encoding
 * per publication), so the sessions answered one after the other mostly answer the same run: they share its text
 * and bytes instead of joining and encoding it again each. It holds one answer's frames at most (bounded by the
 * answer's bounds), and is replaced by the next different run.
 */
let lastFrames: readonly string[] = [];
let lastRun: JoinedRun = { text: '', bytes: Buffer.alloc(0) };

/**
 * The messages `frames[start]` … `frames[end - 1]` joined, shared with the previous call when it joined the same.
 * @param frames The encoded frames.
 * @param start The first index.
 * @param end The index past the last (more than `start`).
 */
export function joinFrames(frames: readonly string[], start: number, end: number): JoinedRun {
  const count = end - start;
  if (lastFrames.length === count) {
    let same = true;
    for (let i = 0; i < count; i++) {
      if (lastFrames[i] !== frames[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return lastRun;
  }
  lastFrames = frames.slice(start, end);
  const text = count === 1 ? lastFrames[0]! : lastFrames.join(',');
  lastRun = { text, bytes: Buffer.from(text) };
  return lastRun;
}

/**
 * The answer of a poll, built from the encoded frames without parsing them again: `{"seq":…,"messages":[…]}`, with
 * `"close":{…}` in the session's last.
 * @param seq The number of the last message in it (the poll's `ack` when it holds none).
 * @param messages The encoded messages, or null for none.
 * @param close The session's end, when this answer is its last.
 */
export function pollAnswer(
  seq: number,
  messages: JoinedRun | null,
  close: { readonly code: number; readonly reason: string } | null,
): RawAnswer {
  const head = `{"seq":${seq},"messages":[`;
  const tail = close === null ? ']}' : `],"close":${JSON.stringify({ code: close.code, reason: close.reason })}}`;
  if (messages === null) return { status: 200, body: head + tail };
  return { status: 200, body: head + messages.text + tail, pieces: { head, shared: messages.bytes, tail } };
}
