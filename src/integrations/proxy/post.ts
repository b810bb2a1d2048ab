// Integrations/proxy: one POST to a backend over a keep-alive connection, with the caller's deadline (an
// AbortSignal) and a cap on the answer's size. Every way it can end is a value, never a throw.
import http from 'node:http';
import https from 'node:https';

/** How a POST that got no usable answer ended. */
export type PostFailure = 'timeout' | 'unreachable' | 'too_large' | 'closed';

/** The outcome of {@link post}: the status and body, or why there is none. */
export type PostResult =
  | { readonly ok: true; readonly status: number; readonly body: Buffer }
  | { readonly ok: false; readonly failure: PostFailure; readonly detail: string };

/** Abort reasons the proxy passes to its AbortController, so a failure says which deadline ended it. */
export const ABORT_TIMEOUT = 'timeout';
export const ABORT_CLOSED = 'closed';

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
 * @param signal aborts the request (reason {@link ABORT_TIMEOUT} or {@link ABORT_CLOSED})
 * @param maxResponseBytes a longer answer (declared or streamed) is abandoned with `too_large`
 */
export function post(
  target: PostTarget,
  headers: http.OutgoingHttpHeaders,
  body: string,
  signal: AbortSignal,
  maxResponseBytes: number,
): Promise<PostResult> {
  return new Promise<PostResult>((resolve) => {
    const attempt = (retry: boolean): void => {
      let settled = false;
      let answered = false;
      const settle = (result: PostResult): void => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const aborted = (): PostResult => ({
        ok: false,
        failure: signal.reason === ABORT_CLOSED ? 'closed' : 'timeout',
        detail: signal.reason === ABORT_CLOSED ? 'the proxy closed' : 'no answer within the deadline',
      });
      const req = target.request({ ...target.options, headers, signal }, (res) => {
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
          settle(signal.aborted ? aborted() : { ok: false, failure: 'unreachable', detail: err.code ?? err.message }),
        );
        res.on('close', () => {
          if (!res.complete)
            settle(signal.aborted ? aborted() : { ok: false, failure: 'unreachable', detail: 'answer cut short' });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (signal.aborted) {
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
      req.end(body);
    };
    attempt(true);
  });
}
