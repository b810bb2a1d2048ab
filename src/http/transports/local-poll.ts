// HTTP transports: a long poll answered on this node's response, and how its client going away is noticed.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { type RawAnswer, writeAnswer } from './answers.ts';
import type { PollWaiter } from './poll-transport.ts';
import type { SessionIdParts } from './session-ids.ts';

/** Where a poll whose client went away is reported (the session registry). */
export interface PollAbortTarget {
  /**
   * @param parts The poll's session.
   * @param waiter The poll.
   */
  pollAborted(parts: SessionIdParts, waiter: PollWaiter): void;
}

/** The polls a connection carries that may still be unanswered (a list through {@link LocalPoll.next}). */
const POLLS = Symbol('switchboard.httpPolls');

type PollSocket = Socket & { [POLLS]?: LocalPoll | null };

/**
 * One poll on a local response. Its client going away is noticed on the connection, by one `close` listener added
 * the first time the connection carries a poll, rather than by a listener and closure on every response (a polling
 * client sends one request per answer, so the per-poll listener was a visible share of the server's garbage).
 */
class LocalPoll implements PollWaiter {
  readonly #socket: PollSocket;
  readonly #res: http.ServerResponse;
  readonly #cors: Readonly<Record<string, string>>;
  readonly #target: PollAbortTarget;
  readonly #parts: SessionIdParts;
  /** Answered, or its client went away. */
  done = false;
  /** The connection's poll before this one, when a client pipelines (null almost always). */
  next: LocalPoll | null = null;

  constructor(
    socket: PollSocket,
    res: http.ServerResponse,
    cors: Readonly<Record<string, string>>,
    target: PollAbortTarget,
    parts: SessionIdParts,
  ) {
    this.#socket = socket;
    this.#res = res;
    this.#cors = cors;
    this.#target = target;
    this.#parts = parts;
  }

  answer(answer: RawAnswer): void {
    this.done = true;
    // Off the connection's list at once when at its head (almost always), so the response is not kept until the next
    // poll; elsewhere in the list (a pipelining client) the next poll's pruning drops it.
    if (this.#socket[POLLS] === this) {
      this.#socket[POLLS] = this.next;
      this.next = null;
    }
    writeAnswer(this.#res, answer, this.#cors);
  }

  /** The connection closed before the answer. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.#target.pollAborted(this.#parts, this);
  }
}

function onPollSocketClose(this: PollSocket): void {
  let poll = this[POLLS] ?? null;
  this[POLLS] = null;
  while (poll !== null) {
    const next = poll.next;
    poll.next = null;
    poll.abort();
    poll = next;
  }
}

/**
 * The waiter of a poll answered on `res`, watched for its client going away.
 * @param req The poll's request (its connection is watched).
 * @param res Its response.
 * @param cors Headers added to the answer (CORS).
 * @param target Told when the client goes away before the answer.
 * @param parts The poll's session.
 * @returns The waiter, or null when the connection is already closed (nobody is left to answer).
 */
export function localPoll(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  cors: Readonly<Record<string, string>>,
  target: PollAbortTarget,
  parts: SessionIdParts,
): PollWaiter | null {
  const socket = req.socket as PollSocket;
  if (socket.destroyed || res.destroyed) return null;
  const poll = new LocalPoll(socket, res, cors, target, parts);
  if (!(POLLS in socket)) socket.on('close', onPollSocketClose);
  // Keep only the polls not yet answered (in practice none: one request at a time per connection).
  let tail: LocalPoll = poll;
  for (let older = socket[POLLS] ?? null; older !== null; older = older.next) {
    if (older.done) continue;
    tail.next = older;
    tail = older;
  }
  tail.next = null;
  socket[POLLS] = poll;
  return poll;
}
