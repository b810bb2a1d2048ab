// Integrations/proxy: one POST to a backend over a keep-alive connection, with the caller's deadline and a cap on
// the answer's size. Every way it can end is a value, never a throw.
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';

/** How a POST that got no usable answer ended. */
export type PostFailure = 'timeout' | 'unreachable' | 'too_large' | 'closed';

/** The outcome of {@link post}: the status and body, or why there is none. */
export type PostResult =
  | { readonly ok: true; readonly status: number; readonly body: Buffer }
  | { readonly ok: false; readonly failure: PostFailure; readonly detail: string };

/** Why a call was cut short: its deadline passed, or the proxy closed. */
export type AbortReason = 'timeout' | 'closed';

/**
 * The end of one call, set by its timer or by the proxy's close: whatever the call waits on at that moment (its
 * place in the queue, then its request) is undone once.
 *
 * Optimisation: this replaces an AbortController. On Node 20 a controller plus an `AbortSignal` handed to
 * `http.request` (an EventTarget, a listener added and removed per request) measured 30-60 µs of CPU per call
 * against a bare keep-alive request of about 100 µs; this one-slot object costs nothing measurable.
 */
export class CallDeadline {
  /** Null while the call may go on. */
  reason: AbortReason | null = null;
  #undo: (() => void) | null = null;

  /** Ends the call (the first reason wins) and runs the current undo step. */
  abort(reason: AbortReason): void {
    if (this.reason !== null) return;
    this.reason = reason;
    const undo = this.#undo;
    this.#undo = null;
    undo?.();
  }

  /** Sets what {@link CallDeadline.abort} undoes (null: nothing), replacing the previous step. */
  onAbort(undo: (() => void) | null): void {
    this.#undo = undo;
  }
}

/** Where requests to one endpoint go: the connection pool of its origin, its path, and its basic auth if any. */
export interface PostTarget {
  readonly pool: Dispatcher;
  /** Path and query. */
  readonly path: string;
  /** `Basic …` from the URL's user info, or null. */
  readonly authorization: string | null;
}

/**
 * Builds the target of an endpoint URL.
 * @param url an http: or https: URL (user info becomes basic auth, the query is kept)
 * @param pool the keep-alive pool of the URL's origin
 */
export function postTarget(url: URL, pool: Dispatcher): PostTarget {
  const authorization =
    url.username !== '' || url.password !== ''
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : null;
  return { pool, path: `${url.pathname}${url.search}`, authorization };
}

/**
 * A keep-alive pool for one origin: at most `connections` sockets, one request at a time on each (no pipelining: a
 * backend that answers slowly must not hold up the calls queued behind it on the same socket). Redirects are not
 * followed (an undici pool never does): a 3xx is a status like any other.
 * @param origin `http(s)://host:port`
 * @param connections the proxy's `maxConcurrency`
 */
export function postPool(origin: string, connections: number): Dispatcher {
  return new Pool(origin, { connections, pipelining: 1 });
}

/** An error the handler aborts a request with (never seen by anyone: the call is already settled). */
const ABANDONED = new Error('request abandoned by the proxy');

/**
 * POSTs a body and reads the answer, at most `maxResponseBytes` of it.
 *
 * Optimisation (bench/RESULTS.md, logic-notes): undici's pool with a dispatch handler costs about half of a
 * node:http keep-alive request in CPU (no IncomingMessage stream, no agent bookkeeping), the largest share of a
 * proxied call.
 *
 * A keep-alive connection the backend closed while it sat idle fails the next request with a socket error before
 * any answer; that request is sent once more (on a fresh connection: the pool drops the dead one).
 * @param target the endpoint
 * @param headers the request headers (lower-case names; undici adds Content-Length)
 * @param body the exact bytes signed
 * @param deadline ends the request (timeout or close)
 * @param maxResponseBytes a longer answer (declared or streamed) is abandoned with `too_large`
 */
export function post(
  target: PostTarget,
  headers: Record<string, string>,
  body: string,
  deadline: CallDeadline,
  maxResponseBytes: number,
): Promise<PostResult> {
  if (target.authorization !== null) headers['authorization'] = target.authorization;
  return new Promise<PostResult>((resolve) => {
    new PostHandler(target, headers, body, deadline, maxResponseBytes, resolve).send(true);
  });
}

function aborted(deadline: CallDeadline): PostResult {
  return deadline.reason === 'closed'
    ? { ok: false, failure: 'closed', detail: 'the proxy closed' }
    : { ok: false, failure: 'timeout', detail: 'no answer within the deadline' };
}

/** Socket errors of a connection that died before the answer began (a reset idle keep-alive connection). */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

/** One POST through undici's dispatch API: every way it ends resolves the call once. */
class PostHandler implements Dispatcher.DispatchHandler {
  readonly #target: PostTarget;
  readonly #headers: Record<string, string>;
  readonly #body: string;
  readonly #deadline: CallDeadline;
  readonly #maxResponseBytes: number;
  readonly #resolve: (result: PostResult) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #settled = false;
  #answered = false;
  #retry = false;
  #status = 0;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    target: PostTarget,
    headers: Record<string, string>,
    body: string,
    deadline: CallDeadline,
    maxResponseBytes: number,
    resolve: (result: PostResult) => void,
  ) {
    this.#target = target;
    this.#headers = headers;
    this.#body = body;
    this.#deadline = deadline;
    this.#maxResponseBytes = maxResponseBytes;
    this.#resolve = resolve;
  }

  send(retry: boolean): void {
    if (this.#deadline.reason !== null) {
      this.#settle(aborted(this.#deadline));
      return;
    }
    this.#retry = retry;
    this.#deadline.onAbort(this.#abort);
    this.#target.pool.dispatch(
      { method: 'POST', path: this.#target.path, headers: this.#headers, body: this.#body },
      this,
    );
  }

  readonly #abort = (): void => {
    this.#settle(aborted(this.#deadline));
    this.#controller?.abort(ABANDONED);
  };

  #settle(result: PostResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#deadline.onAbort(null);
    this.#resolve(result);
  }

  #tooLarge(detail: string): void {
    this.#settle({ ok: false, failure: 'too_large', detail });
    this.#controller?.abort(ABANDONED);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Settled while it waited for a connection (deadline or close): it never goes out.
    if (this.#settled) controller.abort(ABANDONED);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#answered = true;
    this.#status = statusCode;
    const declared = Number(headers['content-length']);
    if (declared > this.#maxResponseBytes) this.#tooLarge(`answer of ${declared} bytes`);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#size += chunk.length;
    if (this.#size > this.#maxResponseBytes) {
      this.#tooLarge(`answer over ${this.#maxResponseBytes} bytes`);
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    this.#settle({
      ok: true,
      status: this.#status,
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#settled) return;
    if (this.#deadline.reason !== null) {
      this.#settle(aborted(this.#deadline));
      return;
    }
    const code = (err as { code?: unknown }).code;
    if (this.#retry && !this.#answered && typeof code === 'string' && RESET_CODES.has(code)) {
      this.#controller = null;
      this.send(false);
      return;
    }
    this.#settle({ ok: false, failure: 'unreachable', detail: typeof code === 'string' ? code : err.message });
  }
}
