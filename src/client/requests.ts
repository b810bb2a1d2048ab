// Client SDK (Node-free): request / reply correlation: a fresh `rid` per request, the answer that carries it as `re`,
// a timeout per request.
import { Limits, type ServerMessage, type SingleClientMessage } from '../messages/core.ts';
import { ClientError } from './errors.ts';
import type { TimerHandle, TimerSet } from './timers.ts';
import type { TransportSocket } from './transport.ts';
import type { ClientWire } from './wire.ts';

/** Any client message without its `rid`: the request tracker adds one. */
export type Request = SingleClientMessage extends infer M
  ? M extends { rid?: unknown }
    ? Omit<M, 'rid'>
    : never
  : never;

interface Pending {
  readonly resolve: (message: ServerMessage) => void;
  readonly reject: (err: ClientError) => void;
  readonly timer: TimerHandle;
}

/** The message types that answer a request (they carry the request's `rid` as `re`). */
const ANSWER_TYPES: ReadonlySet<ServerMessage['type']> = new Set([
  'reply',
  'error',
  'subscribed',
  'unsubscribed',
  'connected',
]);

/** Requests sent and not answered yet, across connections of one client. */
export class RequestTracker {
  readonly #pending = new Map<number, Pending>();
  readonly #timers: TimerSet;
  readonly #wire: ClientWire;
  #rid = 0;

  /**
   * @param wire Encodes the requests.
   * @param timers Where the request timeouts run.
   */
  constructor(wire: ClientWire, timers: TimerSet) {
    this.#wire = wire;
    this.#timers = timers;
  }

  /**
   * Sends `message` with a fresh `rid` on `socket` and waits for its answer.
   * @param socket An open socket.
   * @param message Any client message without `rid`.
   * @param timeoutMs How long the answer may take.
   * @returns The answer (`reply`, `subscribed`, `unsubscribed`, `connected`).
   * @throws {ClientError} The server's `error` code, `timeout`, or `closed` when the socket cannot send.
   */
  send(socket: TransportSocket, message: Request, timeoutMs: number): Promise<ServerMessage> {
    const rid = this.nextRid();
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = this.#timers.start(() => {
        this.#pending.delete(rid);
        reject(new ClientError('timeout', `No answer to "${message.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      try {
        socket.send(this.#wire.encode({ ...message, rid } as SingleClientMessage));
      } catch (err) {
        this.#timers.clear(timer);
        this.#pending.delete(rid);
        reject(new ClientError('closed', 'Cannot send: the connection is closing', { cause: err }));
      }
    });
  }

  /**
   * A fresh `rid` from the same sequence as the requests', for a message sent without waiting for an answer (a
   * refusal then carries it as `re`, and no pending request mistakes it for its own).
   * @returns The rid.
   */
  nextRid(): number {
    this.#rid = this.#rid >= Limits.MAX_RID ? 1 : this.#rid + 1;
    return this.#rid;
  }

  /**
   * Settles the request a message answers: an `error` rejects it with the server's code, any other answer resolves it.
   * @param message A decoded server message.
   * @returns true when the message answered a pending request (it is then not routed further).
   */
  settle(message: ServerMessage): boolean {
    if (!ANSWER_TYPES.has(message.type) || !('re' in message) || message.re === undefined) return false;
    const pending = this.#pending.get(message.re);
    if (pending === undefined) return false;
    this.#pending.delete(message.re);
    this.#timers.clear(pending.timer);
    if (message.type === 'error') pending.reject(new ClientError(message.code, message.message));
    else pending.resolve(message);
    return true;
  }

  /** Rejects every pending request with `error` (the connection is gone). */
  failAll(error: ClientError): void {
    for (const [rid, pending] of this.#pending) {
      this.#timers.clear(pending.timer);
      this.#pending.delete(rid);
      pending.reject(error);
    }
  }
}
