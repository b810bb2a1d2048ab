// Realtime: the checks of the `/ws` upgrade, offered to transports of other kinds (an event stream, a long poll, a
// plain EventSource, an HTTP read), whose requests reach the HTTP server and never the engine's upgrade path.
import type { IncomingMessage } from 'node:http';
import type { AcceptHook, AcceptResult, TrustedProxies } from '../engine/index.ts';
import { Subprotocol } from '../messages/index.ts';
import type { Identity } from './auth/identity.ts';
import type { HandshakeContext } from './handshake.ts';

/** What {@link TransportAdmission} decides about a request of a transport of another kind than `/ws`. */
export type AdmitResult =
  | { readonly ok: true; readonly address: string; readonly identity: Identity | null }
  | { readonly ok: false; readonly status: number; readonly headers?: Record<string, string>; readonly body?: string };

/** The hub's admission of HTTP transport requests (`RealtimeServer#admission`). */
export class TransportAdmission {
  readonly #accept: AcceptHook;
  readonly #requestChecks: AcceptHook;
  readonly #trustedProxies: TrustedProxies;

  /**
   * @param accept The `/ws` upgrade's accept hook (drain, deny-list, per-address rate, origin, credential).
   * @param requestChecks The same checks without the drain and the per-address rate.
   * @param trustedProxies Who may name the client's address in `X-Forwarded-For`.
   */
  constructor(accept: AcceptHook, requestChecks: AcceptHook, trustedProxies: TrustedProxies) {
    this.#accept = accept;
    this.#requestChecks = requestChecks;
    this.#trustedProxies = trustedProxies;
  }

  /**
   * Runs the checks of the `/ws` upgrade on an HTTP request that opens a transport of another kind (an event stream,
   * a long poll, a plain `EventSource`): 503 while draining, 403 for a denied address, 429 over the per-address
   * connection rate, 403 for a browser origin not allowed, 401 for a credential that does not verify. Connection caps
   * per user apply later, at `connect`, as on `/ws`.
   * @param req The request; its credential is read as on `/ws` (`Authorization`, the `token` query parameter, the cookie).
   * @returns `ok` with the client's address (behind `trustedProxies`, the client `X-Forwarded-For` names) and the
   *   identity the credential gives (null for none), or the HTTP answer to send.
   */
  admit(req: IncomingMessage): AdmitResult | Promise<AdmitResult> {
    return this.#check(this.#accept, req);
  }

  /**
   * The checks of {@link admit} for a request inside a session already open (an HTTP transport's send or poll):
   * deny-list, origin and credential, but neither the drain nor the per-address connection rate.
   * @param req The request.
   * @returns As {@link admit}: synchronous when no credential is to be verified (every poll of an anonymous session).
   */
  authorize(req: IncomingMessage): AdmitResult | Promise<AdmitResult> {
    return this.#check(this.#requestChecks, req);
  }

  #check(hook: AcceptHook, req: IncomingMessage): AdmitResult | Promise<AdmitResult> {
    const address = this.#trustedProxies.resolve(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for']);
    const origin = req.headers.origin ?? null;
    const result = hook(req, { protocols: [Subprotocol.JSON], origin, address });
    return result instanceof Promise ? result.then((r) => admitResult(r, address)) : admitResult(result, address);
  }
}

function admitResult(result: AcceptResult, address: string): AdmitResult {
  if (result === false) return { ok: false, status: 403 };
  if (typeof result === 'object' && result !== null && 'status' in result) {
    return {
      ok: false,
      status: result.status,
      headers: result.headers ?? {},
      ...(result.body === undefined ? {} : { body: result.body }),
    };
  }
  const context = (typeof result === 'object' && result !== null ? result.context : undefined) as
    | HandshakeContext
    | undefined;
  return { ok: true, address, identity: context?.identity ?? null };
}
