// Test harness: plain HTTP(S) requests and event-stream readers against the proxies, trusting the test certificate,
// never following redirects (the tests check them), with the raw body and every event as it arrives.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Cleanup } from './process.ts';

/** Options of a request. */
export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** PEM certificate trusted for https:// URLs (the proxy's self-signed one). */
  readonly ca?: string;
}

/** A complete response. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function send(
  url: string,
  options: RequestOptions,
  onResponse: (res: IncomingMessage) => void,
  onError: (err: Error) => void,
): () => void {
  const u = new URL(url);
  const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const req = make(
    u,
    {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      // A fresh connection per request: no keep-alive pool outlives the test.
      agent: false,
    },
    onResponse,
  );
  req.on('error', onError);
  req.end(options.body);
  return () => req.destroy();
}

/** One request; resolves with the whole response, rejects after `timeoutMs` or on a connection error. */
export function fetchRaw(url: string, options: RequestOptions = {}, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(`${options.method ?? 'GET'} ${url}: no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const cancel = send(
      url,
      options,
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** An open `text/event-stream` response, read as it arrives. */
export interface EventReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Complete events (the text between blank lines), in arrival order. */
  readonly events: string[];
  /** Whether the response has ended (or the connection closed). */
  readonly ended: boolean;
  /** Waits until `condition()` holds, re-checked on every chunk; throws after `timeoutMs` naming `what`. */
  until(what: string, condition: () => boolean, timeoutMs?: number): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/** Opens an event stream (GET with `Accept: text/event-stream`); resolves once the response headers are in. */
export function openEventStream(t: Cleanup, url: string, options: RequestOptions = {}): Promise<EventReader> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(new Error(`GET ${url}: no response headers within 10 s`));
    }, 10_000);
    const cancel = send(
      url,
      { ...options, headers: { accept: 'text/event-stream', ...(options.headers ?? {}) } },
      (res) => {
        clearTimeout(timer);
        const events: string[] = [];
        const wakers = new Set<() => void>();
        let buffer = '';
        let ended = false;
        const wake = (): void => {
          for (const w of [...wakers]) w();
        };
        res.on('data', (d: Buffer) => {
          buffer += d.toString();
          for (let i = buffer.indexOf('\n\n'); i !== -1; i = buffer.indexOf('\n\n')) {
            events.push(buffer.slice(0, i));
            buffer = buffer.slice(i + 2);
          }
          wake();
        });
        const end = (): void => {
          ended = true;
          wake();
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        const reader: EventReader = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          get ended() {
            return ended;
          },
          until: async (what, condition, timeoutMs = 10_000) => {
            const deadline = Date.now() + timeoutMs;
            while (!condition()) {
              const left = deadline - Date.now();
              if (left <= 0)
                throw new Error(`${url}: timed out waiting for ${what} (events: ${JSON.stringify(events)})`);
              await new Promise<void>((r) => {
                const done = (): void => {
                  clearTimeout(tm);
                  wakers.delete(done);
                  r();
                };
                const tm = setTimeout(done, Math.min(left, 200));
                wakers.add(done);
              });
            }
          },
          close: () => res.destroy(),
        };
        t.after(() => reader.close());
        resolve(reader);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** The parsed JSON `data:` lines of the events (events without data are skipped). */
export function eventData(events: readonly string[]): unknown[] {
  return events
    .map((e) => e.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice('data: '.length)) as unknown);
}
