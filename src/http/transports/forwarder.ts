// HTTP transports: requests for a session held by another node, forwarded through the broker and answered from there.
import { randomUUID } from 'node:crypto';
import type { Broker, ChannelEvent } from '../../broker/index.ts';
import { errorAnswer, HttpTransportError, plainAnswer, type RawAnswer } from './answers.ts';

/** A request for a session, as it crosses the broker (the credential was checked by the node that received it). */
export type ForwardedRequest =
  | { readonly op: 'send'; readonly session: string; readonly user: string | null; readonly messages: unknown[] }
  | { readonly op: 'poll'; readonly session: string; readonly user: string | null; readonly ack: number }
  | { readonly op: 'end'; readonly session: string; readonly user: string | null };

/** What the owning node does with a forwarded request. */
export interface ForwardTarget {
  /**
   * Serves a request for one of this node's sessions.
   * @param request The request.
   * @param answer Takes the answer (once; a poll may answer much later).
   * @returns A function the forwarder calls when the requesting client went away before the answer, if any.
   */
  serve(request: ForwardedRequest, answer: (answer: RawAnswer) => void): (() => void) | undefined;
}

/** What the forwarder counts, for the metrics. */
export type ForwardOutcome = 'answered' | 'timeout' | 'busy' | 'broker_error';

interface Pending {
  readonly resolve: (answer: RawAnswer) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly node: string;
}

/** The broker channel a node listens on for forwarded requests and their answers. Not a valid client channel name. */
export function forwardChannel(node: string): string {
  return `$switchboard-http-${node}`;
}

/**
 * Forwards requests for sessions held by other nodes, and serves those other nodes forward here: a request is a
 * broker signal on the owning node's channel with a correlation id, its answer a signal on the requester's. No
 * sticky sessions are needed: any node can take any request of any session.
 */
export class HttpForwarder {
  readonly #broker: Broker;
  readonly #node: string;
  readonly #target: ForwardTarget;
  readonly #maxInFlight: number;
  readonly #outcome: (op: ForwardedRequest['op'], outcome: ForwardOutcome) => void;
  readonly #pending = new Map<string, Pending>();
  /** Requests served here for other nodes and not answered yet (held polls): how to tell them the client left. */
  readonly #serving = new Map<string, () => void>();
  #servingCount = 0;
  readonly #onSignal = (event: ChannelEvent): void => this.#signal(event);
  #ready: Promise<void> | null = null;

  /**
   * @param init The broker, this node's id, what serves forwarded requests, the bound of requests in flight each way,
   *   and a counter of outcomes.
   */
  constructor(init: {
    readonly broker: Broker;
    readonly node: string;
    readonly target: ForwardTarget;
    readonly maxInFlight: number;
    readonly outcome?: (op: ForwardedRequest['op'], outcome: ForwardOutcome) => void;
  }) {
    this.#broker = init.broker;
    this.#node = init.node;
    this.#target = init.target;
    this.#maxInFlight = init.maxInFlight;
    this.#outcome = init.outcome ?? (() => {});
  }

  /** Starts listening on this node's channel; resolves once subscribed. */
  start(): Promise<void> {
    this.#ready ??= this.#broker.subscribe(forwardChannel(this.#node), this.#onSignal);
    return this.#ready;
  }

  /** Requests waiting for another node's answer now. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Forwards a request to the node holding the session.
   * @param node The owning node.
   * @param request The request.
   * @param timeoutMs How long to wait for the answer.
   * @param signal Aborts when the requesting client went away (the owning node then lets a held poll go).
   * @returns The owning node's answer, or 503 `unavailable` (timeout, too many in flight, broker down).
   */
  forward(node: string, request: ForwardedRequest, timeoutMs: number, signal?: AbortSignal): Promise<RawAnswer> {
    if (this.#pending.size >= this.#maxInFlight) {
      this.#outcome(request.op, 'busy');
      return Promise.resolve(unavailable('Too many requests in flight to other nodes'));
    }
    const cid = randomUUID();
    return new Promise<RawAnswer>((resolve) => {
      const finish = (answer: RawAnswer, outcome: ForwardOutcome): void => {
        const pending = this.#pending.get(cid);
        if (pending === undefined) return;
        this.#pending.delete(cid);
        clearTimeout(pending.timer);
        signal?.removeEventListener('abort', onAbort);
        this.#outcome(request.op, outcome);
        resolve(answer);
      };
      const onAbort = (): void => {
        if (!this.#pending.has(cid)) return;
        this.#broker.signal(forwardChannel(node), { t: 'abort', cid }).catch(() => {});
      };
      const timer = setTimeout(
        () => finish(unavailable('The node holding the session did not answer'), 'timeout'),
        timeoutMs,
      );
      this.#pending.set(cid, { resolve: (answer) => finish(answer, 'answered'), timer, node });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#broker
        .signal(forwardChannel(node), { t: 'req', from: this.#node, cid, request })
        .catch(() => finish(unavailable('The message broker is unavailable'), 'broker_error'));
    });
  }

  /** Stops listening; requests still waiting are answered 503. */
  async close(): Promise<void> {
    for (const pending of [...this.#pending.values()]) pending.resolve(unavailable('The server is shutting down'));
    if (this.#ready !== null)
      await this.#broker.unsubscribe(forwardChannel(this.#node), this.#onSignal).catch(() => {});
  }

  #signal(event: ChannelEvent): void {
    if (event.type !== 'signal' || typeof event.data !== 'object' || event.data === null) return;
    const data = event.data as Record<string, unknown>;
    const cid = data['cid'];
    if (typeof cid !== 'string') return;
    switch (data['t']) {
      case 'res': {
        const answer = data['answer'] as RawAnswer | undefined;
        if (answer !== undefined && typeof answer.status === 'number' && typeof answer.body === 'string')
          this.#pending.get(cid)?.resolve(answer);
        return;
      }
      case 'abort':
        this.#serving.get(cid)?.();
        return;
      case 'req':
        this.#serve(cid, data['from'], data['request']);
        return;
      default:
        return;
    }
  }

  #serve(cid: string, from: unknown, request: unknown): void {
    if (typeof from !== 'string' || !isForwardedRequest(request)) return;
    const reply = (answer: RawAnswer): void => {
      this.#broker.signal(forwardChannel(from), { t: 'res', cid, answer: plainAnswer(answer) }).catch(() => {});
    };
    if (this.#servingCount >= this.#maxInFlight) {
      reply(unavailable('Too many forwarded requests on the node holding the session'));
      return;
    }
    this.#servingCount++;
    let answered = false;
    const abort = this.#target.serve(request, (answer) => {
      if (answered) return;
      answered = true;
      this.#servingCount--;
      this.#serving.delete(cid);
      reply(answer);
    });
    if (!answered && abort !== undefined) {
      this.#serving.set(cid, () => {
        if (answered) return;
        answered = true;
        this.#servingCount--;
        this.#serving.delete(cid);
        abort();
      });
    }
  }
}

function unavailable(message: string): RawAnswer {
  return errorAnswer(503, HttpTransportError.UNAVAILABLE, message, { 'Retry-After': '1' });
}

function isForwardedRequest(value: unknown): value is ForwardedRequest {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  if (typeof r['session'] !== 'string' || (r['user'] !== null && typeof r['user'] !== 'string')) return false;
  if (r['op'] === 'send') return Array.isArray(r['messages']);
  if (r['op'] === 'poll') return Number.isSafeInteger(r['ack']);
  return r['op'] === 'end';
}
