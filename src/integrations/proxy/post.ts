// Integrations/proxy: one POST to a backend over a keep-alive connection, with the caller's deadline and a cap on
// the answer's size. Every way it can end is a value, never a throw.
import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';
import { LogicDeadline } from '../../realtime/index.ts';

/** How a POST that got no usable answer ended. */
export type PostFailure = 'timeout' | 'unreachable' | 'too_large' | 'closed';

/** The outcome of {@link post}: the status and body, or why there is none. */
export type PostResult =
  | { readonly ok: true; readonly status: number; readonly body: Buffer }
  | { readonly ok: false; readonly failure: PostFailure; readonly detail: string };

/** Why a call was cut short: its deadline passed, or the proxy closed. */
export type AbortReason = 'timeout' | 'closed';

/** What a call waits on, undone when its deadline passes or the proxy closes (its queue place, then its request). */
export interface Abortable {
  abortCall(): void;
}

/**
 * The end of one call, set by its deadline or by the proxy's close: whatever the call waits on at that moment (its
 * place in the queue, then its request) is undone once. Armed in the proxy's deadline list ({@link LogicDeadline}),
 * its expiry is a timeout.
 *
 * Optimisation: this replaces an AbortController. On Node 20 a controller plus an `AbortSignal` handed to
 * `http.request` (an EventTarget, a listener added and removed per request) measured 30-60 µs of CPU per call
 * against a bare keep-alive request of about 100 µs; this one-slot object costs nothing measurable, and the undo
 * step is an object's method, not a closure made per call.
 */
export class CallDeadline extends LogicDeadline {
  /** Null while the call may go on. */
  reason: AbortReason | null = null;
  #undo: Abortable | null = null;

  /** Ends the call (the first reason wins) and runs the current undo step. */
  abort(reason: AbortReason): void {
    if (this.reason !== null) return;
    this.reason = reason;
    const undo = this.#undo;
    this.#undo = null;
    undo?.abortCall();
  }

  /** Sets what {@link CallDeadline.abort} undoes (null: nothing), replacing the previous step. */
  onAbort(undo: Abortable | null): void {
    this.#undo = undo;
  }

  onDeadline(): void {
    this.abort('timeout');
  }
}

/** Where {@link send} reports how a POST ended (once). */
export interface PostCallback {
  onPostResult(result: PostResult): void;
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
 * A keep-alive pool for one origin: at most `connections` sockets, and at most `pipelining` requests in flight on
 * each. With 1, one request at a time per socket. With more, a request sent with {@link send}'s `pipelined` is
 * written behind those still waiting for their answer on a socket (HTTP/1.1 pipelining: the pool fills a socket up
 * to the depth before it opens or uses another), so a slow answer holds up the ones behind it on that socket, up
 * to their deadline; a request sent without it still waits for a socket with nothing in flight. Redirects are not
 * followed (an undici pool never does): a 3xx is a status like any other.
 * @param origin `http(s)://host:port`
 * @param connections the proxy's `maxConcurrency`
 * @param pipelining requests in flight per socket (the proxy's `pipelining`; 1 for a pool of kinds not pipelined)
 */
export function postPool(origin: string, connections: number, pipelining = 1): Dispatcher {
  return new Pool(origin, { connections, pipelining });
}

/** An error the handler aborts a request with (never seen by anyone: the call is already settled). */
const ABANDONED = new Error('request abandoned by the proxy');

/**
 * {@link send} as a promise (tests and one-off calls; the proxy uses {@link send} itself, one promise less per call).
 */
export function post(
  target: PostTarget,
  headers: Record<string, string>,
  body: string,
  deadline: CallDeadline,
  maxResponseBytes: number,
  pipelined = false,
): Promise<PostResult> {
  return new Promise<PostResult>((resolve) => {
    send(target, headers, body, deadline, maxResponseBytes, pipelined, { onPostResult: resolve });
  });
}

/**
 * POSTs a body and reads the answer, at most `maxResponseBytes` of it.
 *
 * Optimisation (bench/RESULTS.md, logic-notes): undici's pool with a dispatch handler costs about half of a
 * node:http keep-alive request in CPU (no IncomingMessage stream, no agent bookkeeping), the largest share of a
 * proxied call.
 *
 * A keep-alive connection the backend closed while it sat idle fails the next request with a socket error before
 * any answer; that request is sent once more (on a fresh connection: the pool drops the dead one). A pipelined
 * request is one the backend must be able to receive twice: when a socket dies with several requests on it, the
 * first fails (and is sent once more, as above) and undici sends the others again on a new socket, whether or not
 * the backend had already read them (each keeps its request id, for the backend to recognise a repeat).
 * @param target the endpoint
 * @param headers the request headers (lower-case names; undici adds Content-Length)
 * @param body the exact bytes signed
 * @param deadline ends the request (timeout or close)
 * @param maxResponseBytes a longer answer (declared or streamed) is abandoned with `too_large`
 * @param pipelined whether the request may be written behind others on a socket (see {@link postPool})
 * @param done told how it ended, once
 */
export function send(
  target: PostTarget,
  headers: Record<string, string>,
  body: string,
  deadline: CallDeadline,
  maxResponseBytes: number,
  pipelined: boolean,
  done: PostCallback,
): void {
  if (target.authorization !== null) headers['authorization'] = target.authorization;
  new PostHandler(target, headers, body, deadline, maxResponseBytes, pipelined, done).send(true);
}

function aborted(deadline: CallDeadline): PostResult {
  return deadline.reason === 'closed'
    ? { ok: false, failure: 'closed', detail: 'the proxy closed' }
    : { ok: false, failure: 'timeout', detail: 'no answer within the deadline' };
}

/** Socket errors of a connection that died before the answer began (a reset idle keep-alive connection). */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

/** One POST through undici's dispatch API: every way it ends reports to the caller once. */
class PostHandler implements Dispatcher.DispatchHandler, Abortable {
  readonly #target: PostTarget;
  readonly #headers: Record<string, string>;
  readonly #body: string;
  readonly #deadline: CallDeadline;
  readonly #maxResponseBytes: number;
  /** undici's `idempotent`: a request it may pipeline (and send again when its socket dies). */
  readonly #idempotent: boolean;
  readonly #done: PostCallback;
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
    idempotent: boolean,
    done: PostCallback,
  ) {
    this.#target = target;
    this.#headers = headers;
    this.#body = body;
    this.#deadline = deadline;
    this.#maxResponseBytes = maxResponseBytes;
    this.#idempotent = idempotent;
    this.#done = done;
  }

  send(retry: boolean): void {
    if (this.#deadline.reason !== null) {
      this.#settle(aborted(this.#deadline));
      return;
    }
    this.#retry = retry;
    this.#deadline.onAbort(this);
    this.#target.pool.dispatch(
      {
        method: 'POST',
        path: this.#target.path,
        headers: this.#headers,
        body: this.#body,
        idempotent: this.#idempotent,
        // undici's `blocking` (default true for a POST) holds further requests on the socket until this one's
        // answer head arrives: no pipelining behind it. A pipelined request does not block.
        blocking: !this.#idempotent,
      },
      this,
    );
  }

  /** The call's deadline passed or the proxy closed. */
  abortCall(): void {
    this.#settle(aborted(this.#deadline));
    this.#controller?.abort(ABANDONED);
  }

  #settle(result: PostResult): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#deadline.onAbort(null);
    this.#done.onPostResult(result);
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
