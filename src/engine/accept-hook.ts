// Node binding: the accept hook's contract: what an application's upgrade hook receives and may answer.
import type { IncomingMessage } from 'node:http';

/** Reject the upgrade with this HTTP answer. */
export interface AcceptReject {
  /** HTTP status, 300-599 (e.g. 401, 403, 429). */
  readonly status: number;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`). */
  readonly headers?: Record<string, string>;
  /** Response body; the status text when omitted. Never echo request data here. */
  readonly body?: string;
}

/** Accept the upgrade, optionally choosing the subprotocol and adding response headers. */
export interface AcceptOk {
  /** The subprotocol to select; must be one the client offered. Overrides `handleProtocols`. */
  readonly protocol?: string;
  /** Extra headers on the 101 response (e.g. `Set-Cookie`). */
  readonly headers?: Record<string, string>;
  /** Stored on the socket as `ws.context` (e.g. the authenticated user). */
  readonly context?: unknown;
}

/**
 * What the `accept` hook returns: nothing or `true` accepts, `false` answers 403, an object with
 * a `status` rejects with that answer, any other object accepts with its details.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing accepts, so `void` belongs to the result.
export type AcceptResult = void | undefined | boolean | AcceptReject | AcceptOk;

/** The hook that decides whether an upgrade is accepted (authentication, origin checks). */
export type AcceptHook = (
  req: IncomingMessage,
  info: {
    readonly protocols: readonly string[];
    readonly origin: string | null;
    /** The client's address: the peer's, or behind `trustedProxies` the client their `X-Forwarded-For` names. */
    readonly address: string;
  },
) => AcceptResult | Promise<AcceptResult>;

/** Picks a subprotocol from the client's list (in its order of preference); null or false for none. */
export type HandleProtocols = (protocols: readonly string[], req: IncomingMessage) => string | null | false;

/** Whether the hook's answer rejects the upgrade. */
export function isReject(result: AcceptResult): result is AcceptReject {
  return typeof result === 'object' && result !== null && typeof (result as AcceptReject).status === 'number';
}

/** Whether the hook answered asynchronously. */
export function isPromiseLike(value: unknown): value is PromiseLike<AcceptResult> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
