// Integrations/proxy: one POST to a backend over a keep-alive connection, with the caller's deadline and a cap on
// the answer's size. Every way it can end is a value, never a throw.
import http from 'node:http';
import https from 'node:https';

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

/** Where requests to one endpoint go: its parsed URL as request options, and the agent holding its connections. */
export interface PostTarget {
  readonly request: typeof http.request;
  readonly options: http.RequestOptions;
}

/**
 * Builds the target of an endpoint URL.
 * @param url an http: or https: URL (user info becomes basic auth, the query is kept)
 * @param agents the keep-alive agents of the proxy
 */
export function postTarget(url: URL, agents: { readonly http: http.Agent; readonly https: https.Agent }): PostTarget {
  const secure = url.protocol === 'https:';
  const options: http.RequestOptions = {
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    agent: secure ? agents.https : agents.http,
  };
  if (url.username !== '' || url.password !== '')
    options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return { request: secure ? https.request : http.request, options };
}

/**
 * POSTs a body and reads the answer, at most `maxResponseBytes` of it.
 *
 * A keep-alive connection the backend closed while it sat idle fails the next request with ECONNRESET before any
 * answer; that request is sent once more on a fresh connection (Node's documented remedy, `request.reusedSocket`).
 * @param target the endpoint
 * @param headers the request headers (Content-Length included)
 * @param body the exact bytes signed
 * @param deadline ends the request (timeout or close)
 * @param maxResponseBytes a longer answer (declared or streamed) is abandoned with `too_large`
 */
export function post(
  target: PostTarget,
  headers: http.OutgoingHttpHeaders,
  body: string,
  deadline: CallDeadline,
  maxResponseBytes: number,
): Promise<PostResult> {
  return new Promise<PostResult>((resolve) => {
    const attempt = (retry: boolean): void => {
      let settled = false;
      let answered = false;
      const settle = (result: PostResult): void => {
        if (settled) return;
        settled = true;
        deadline.onAbort(null);
        resolve(result);
      };
      const aborted = (): PostResult => ({
        ok: false,
        failure: deadline.reason === 'closed' ? 'closed' : 'timeout',
        detail: deadline.reason === 'closed' ? 'the proxy closed' : 'no answer within the deadline',
      });
      if (deadline.reason !== null) {
        settle(aborted());
        return;
      }
      const req = target.request({ ...target.options, headers }, (res) => {
        answered = true;
        const declared = Number(res.headers['content-length']);
        if (declared > maxResponseBytes) {
          req.destroy();
          settle({ ok: false, failure: 'too_large', detail: `answer of ${declared} bytes` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            req.destroy();
            settle({ ok: false, failure: 'too_large', detail: `answer over ${maxResponseBytes} bytes` });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          settle({
            ok: true,
            status: res.statusCode ?? 0,
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          });
        });
        res.on('error', (err: NodeJS.ErrnoException) =>
          settle(
            deadline.reason !== null
              ? aborted()
              : { ok: false, failure: 'unreachable', detail: err.code ?? err.message },
          ),
        );
        res.on('close', () => {
          if (!res.complete)
            settle(
              deadline.reason !== null ? aborted() : { ok: false, failure: 'unreachable', detail: 'answer cut short' },
            );
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (deadline.reason !== null) {
          settle(aborted());
          return;
        }
        if (retry && !answered && req.reusedSocket && err.code === 'ECONNRESET') {
          settled = true;
          attempt(false);
          return;
        }
        settle({ ok: false, failure: 'unreachable', detail: err.code ?? err.message });
      });
      deadline.onAbort(() => {
        req.destroy();
        settle(aborted());
      });
      req.end(body);
    };
    attempt(true);
  });
}
