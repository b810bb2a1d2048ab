// HTTP transports: the /http/* endpoints: open a stream or a polling session, send, poll; CORS; local or forwarded.
import type http from 'node:http';
import type { Logger } from 'pino';
import type { AdmitResult, Identity, RealtimeServer } from '../../realtime/index.ts';
import { isJsonContentType } from '../api.ts';
import { errorAnswer, HttpTransportError, refusalAnswer, type RawAnswer, writeAnswer } from './answers.ts';
import { type ForwardedRequest, type ForwardOutcome, HttpForwarder } from './forwarder.ts';
import { HttpTransportMetrics } from '../metric-http-transports.ts';
import type { Metrics } from '../metrics.ts';
import type { StatusContributor } from '../probes.ts';
import { localPoll } from './local-poll.ts';
import { type HttpTransportOptions, type HttpTransportSettings, httpTransportSettings } from './options.ts';
import type { PollWaiter } from './poll-transport.ts';
import { type HttpSessionKind, HttpSessions } from './registry.ts';
import { queryValue, readJson } from './request-parts.ts';
import { parseSessionId, type SessionIdParts } from './session-ids.ts';

/** Where the endpoints live (docs/protocol.md § 15). */
export const HTTP_TRANSPORT_PATHS = {
  stream: '/http/stream',
  poll: '/http/poll',
  send: '/http/send',
} as const;

/** Client messages in one `POST /http/send` at most (docs/protocol.md § 15.2). */
export const MAX_SEND_MESSAGES = 100;
/** Largest body of `POST /http/poll` (which opens a session with `{}`), in bytes. */
const MAX_OPEN_BODY_BYTES = 1024;
/** The `ack` of a poll: a sequence number. */
const ACK = /^(0|[1-9][0-9]{0,14})$/;

/** What the endpoints report, for the metrics. */
export interface HttpTransportObserver {
  /**
   * A request forwarded to another node ended.
   * @param op Send, poll or end.
   * @param outcome How.
   */
  forwarded?(op: ForwardedRequest['op'], outcome: ForwardOutcome): void;
}

/**
 * The HTTP emulated sessions of docs/protocol.md § 15.1-15.3: `GET /http/stream` (an event stream), `POST /http/poll`
 * and `GET /http/poll` (long polling; `DELETE /http/poll` ends it), `POST /http/send`. The session's node serves its requests; a request reaching
 * another node is forwarded there through the broker.
 */
export class HttpTransportEndpoints {
  readonly #hub: RealtimeServer;
  readonly #settings: HttpTransportSettings;
  readonly #maxBodyBytes: number;
  readonly #origins: ReadonlySet<string>;
  readonly #sessions: HttpSessions;
  readonly #forwarder: HttpForwarder;

  /**
   * @param hub The real-time server.
   * @param init Settings, the body limit of sends (the API's), the origins allowed to call from a browser (CORS; the
   *   hub's origin allowlist), and an observer.
   */
  constructor(
    hub: RealtimeServer,
    init: {
      readonly settings: HttpTransportSettings;
      readonly maxBodyBytes: number;
      readonly allowedOrigins: ReadonlySet<string>;
      readonly observer?: HttpTransportObserver;
    },
  ) {
    this.#hub = hub;
    this.#settings = init.settings;
    this.#maxBodyBytes = init.maxBodyBytes;
    this.#origins = init.allowedOrigins;
    this.#sessions = new HttpSessions(hub, init.settings);
    const observer = init.observer ?? {};
    this.#forwarder = new HttpForwarder({
      broker: hub.broker,
      node: hub.nodeId,
      maxInFlight: init.settings.maxForwardedInFlight,
      target: { serve: (request, answer) => this.#serveForwarded(request, answer) },
      outcome: (op, outcome) => observer.forwarded?.(op, outcome),
    });
  }

  /** Starts listening for requests other nodes forward here; resolves once subscribed (repeated calls share it). */
  start(): Promise<void> {
    return this.#forwarder.start();
  }

  /** Open sessions by kind. */
  counts(): Readonly<Record<HttpSessionKind, number>> {
    return this.#sessions.counts();
  }

  /**
   * Whether a path is one of these endpoints' (under `/http/`).
   * @param pathname The request's path.
   */
  handles(pathname: string): boolean {
    return pathname.startsWith('/http/');
  }

  /**
   * Serves one request under `/http/`.
   * @param req The request.
   * @param res The response.
   * @param pathname Its path.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> | undefined {
    const method = req.method ?? 'GET';
    const cors = this.#cors(req);
    if (method === 'OPTIONS') {
      req.resume();
      this.#preflight(res, cors);
      return undefined;
    }
    // A poll of an anonymous session is served synchronously (no promise per poll); the rest may wait.
    const answer = this.#route(req, res, pathname, method, cors);
    if (answer instanceof Promise) return answer.then((a) => finish(req, res, a, cors));
    finish(req, res, answer, cors);
    return undefined;
  }

  /** Stops: forwarded requests waiting are answered 503, held polls get their session's end. */
  async close(): Promise<void> {
    this.#sessions.close();
    await this.#forwarder.close();
  }

  #route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    method: string,
    cors: Readonly<Record<string, string>>,
  ): Maybe<RawAnswer | null> {
    switch (pathname) {
      case HTTP_TRANSPORT_PATHS.stream:
        if (method !== 'GET') return notAllowed('GET');
        return this.#openStream(req, res, cors);
      case HTTP_TRANSPORT_PATHS.poll:
        if (method === 'POST') return this.#openPoll(req);
        if (method === 'GET') return this.#poll(req, res, cors);
        if (method === 'DELETE') return this.#end(req);
        return notAllowed('GET, POST, DELETE');
      case HTTP_TRANSPORT_PATHS.send:
        if (method !== 'POST') return notAllowed('POST');
        return this.#send(req);
      default:
        return errorAnswer(404, 'not_found', 'Not found');
    }
  }

  async #openStream(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    cors: Readonly<Record<string, string>>,
  ): Promise<RawAnswer | null> {
    const admitted = await this.#hub.admission.admit(req);
    if (!admitted.ok) return refusalAnswer(admitted);
    const reserved = this.#sessions.reserve(admitted.address);
    if ('refused' in reserved) return reserved.refused;
    if (res.destroyed) {
      reserved.slot.release();
      return null;
    }
    this.#sessions.openStream(res, reserved.slot, admitted.address, admitted.identity, cors);
    return null;
  }

  async #openPoll(req: http.IncomingMessage): Promise<RawAnswer> {
    if (!isJsonContentType(req.headers['content-type'])) return unsupportedType();
    const admitted = await this.#hub.admission.admit(req);
    if (!admitted.ok) return refusalAnswer(admitted);
    const body = await readJson(req, MAX_OPEN_BODY_BYTES);
    if ('status' in body) return body;
    if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value))
      return errorAnswer(400, 'invalid_message', 'Expected {} to open a session');
    if (Object.keys(body.value).length > 0) return errorAnswer(400, 'invalid_message', 'Unknown field');
    const reserved = this.#sessions.reserve(admitted.address);
    if ('refused' in reserved) return reserved.refused;
    return this.#sessions.openPoll(reserved.slot, admitted.address, admitted.identity);
  }

  #poll(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    cors: Readonly<Record<string, string>>,
  ): Maybe<RawAnswer | null> {
    const checked = this.#inSession(req);
    if (checked instanceof Promise) return checked.then((c) => this.#pollChecked(req, res, cors, c));
    return this.#pollChecked(req, res, cors, checked);
  }

  #pollChecked(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    cors: Readonly<Record<string, string>>,
    checked: InSession | RawAnswer,
  ): Maybe<RawAnswer | null> {
    if ('status' in checked) return checked;
    const ackText = queryValue(req.url ?? '/', 'ack');
    if (ackText === null || !ACK.test(ackText))
      return errorAnswer(400, 'bad_request', 'Expected ack: the highest seq processed (0 for none)');
    const ack = Number(ackText);
    const { parts, id, user } = checked;
    if (parts.node === this.#hub.nodeId) {
      // A client gone already (during the checks) has nobody to answer: its poll is not taken.
      const waiter = localPoll(req, res, cors, this.#sessions, parts);
      if (waiter !== null) this.#sessions.poll(parts, user, ack, waiter);
      return null;
    }
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    return this.#forwarder.forward(
      parts.node,
      { op: 'poll', session: id, user, ack },
      this.#settings.pollTimeoutMs + this.#settings.forwardTimeoutMs,
      aborted.signal,
    );
  }

  /** `DELETE /http/poll?session=`: the client ends its polling session (1000), so its presence leaves at once. */
  async #end(req: http.IncomingMessage): Promise<RawAnswer> {
    const checked = await this.#inSession(req);
    if ('status' in checked) return checked;
    const { parts, id, user } = checked;
    if (parts.node === this.#hub.nodeId) return this.#sessions.end(parts, user);
    return this.#forwarder.forward(parts.node, { op: 'end', session: id, user }, this.#settings.forwardTimeoutMs);
  }

  async #send(req: http.IncomingMessage): Promise<RawAnswer> {
    if (!isJsonContentType(req.headers['content-type'])) return unsupportedType();
    const checked = await this.#inSession(req);
    if ('status' in checked) return checked;
    const body = await readJson(req, this.#maxBodyBytes);
    if ('status' in body) return body;
    if (!Array.isArray(body.value))
      return errorAnswer(400, 'invalid_message', 'Expected a JSON array of client messages');
    if (body.value.length > MAX_SEND_MESSAGES)
      return errorAnswer(
        413,
        HttpTransportError.TOO_MANY_ITEMS,
        `At most ${MAX_SEND_MESSAGES} messages in one request`,
      );
    const { parts, id, user } = checked;
    if (parts.node === this.#hub.nodeId) return this.#sessions.send(parts, user, body.value);
    return this.#forwarder.forward(
      parts.node,
      { op: 'send', session: id, user, messages: body.value },
      this.#settings.forwardTimeoutMs,
    );
  }

  /** The checks of a request inside a session: deny-list, origin, credential, then a well-formed session id. */
  #inSession(req: http.IncomingMessage): Maybe<InSession | RawAnswer> {
    const authorized = this.#hub.admission.authorize(req);
    if (authorized instanceof Promise) return authorized.then((a) => sessionOf(req, a));
    return sessionOf(req, authorized);
  }

  #serveForwarded(request: ForwardedRequest, answer: (answer: RawAnswer) => void): (() => void) | undefined {
    const parts = parseSessionId(request.session);
    if (parts === null || parts.node !== this.#hub.nodeId) {
      answer(errorAnswer(404, HttpTransportError.UNKNOWN_SESSION, 'No such session on this node'));
      return undefined;
    }
    if (request.op === 'send') {
      answer(this.#sessions.send(parts, request.user, request.messages));
      return undefined;
    }
    if (request.op === 'end') {
      answer(this.#sessions.end(parts, request.user));
      return undefined;
    }
    const waiter: PollWaiter = { answer };
    this.#sessions.poll(parts, request.user, request.ack, waiter);
    return () => this.#sessions.pollAborted(parts, waiter);
  }

  #cors(req: http.IncomingMessage): Readonly<Record<string, string>> {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.#origins.has(origin.toLowerCase())) return {};
    // The allowlist is explicit (no wildcard), so credentials (a cookie) may come along.
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' };
  }

  #preflight(res: http.ServerResponse, cors: Readonly<Record<string, string>>): void {
    if (Object.keys(cors).length === 0) {
      writeAnswer(res, errorAnswer(403, 'forbidden', 'This origin may not call these endpoints'), {});
      return;
    }
    res.writeHead(204, {
      ...cors,
      'Access-Control-Allow-Methods': 'GET, POST, DELETE',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      'Content-Length': 0,
    });
    res.end();
  }
}

/** A value now, or later. */
type Maybe<T> = T | Promise<T>;

/** A request inside a session, checked: its session id and the user of its credential. */
interface InSession {
  readonly parts: SessionIdParts;
  readonly id: string;
  readonly user: string | null;
}

/** The session a request names once its checks passed, or the refusal. */
function sessionOf(req: http.IncomingMessage, authorized: AdmitResult): InSession | RawAnswer {
  if (!authorized.ok) return refusalAnswer(authorized);
  const id = queryValue(req.url ?? '/', 'session');
  const parts = parseSessionId(id);
  if (parts === null || id === null)
    return errorAnswer(404, HttpTransportError.UNKNOWN_SESSION, 'No such session: expected ?session=<id>');
  return { parts, id, user: userOf(authorized.identity) };
}

/** Writes a route's answer (null: the route answered, or holds the response). */
function finish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  answer: RawAnswer | null,
  cors: Readonly<Record<string, string>>,
): void {
  if (answer === null) return;
  req.resume();
  writeAnswer(res, answer, cors);
}

function userOf(identity: Identity | null): string | null {
  return identity === null || identity.anonymous ? null : identity.user;
}

function notAllowed(allow: string): RawAnswer {
  return errorAnswer(405, HttpTransportError.METHOD_NOT_ALLOWED, `Use ${allow}`, { Allow: allow });
}

function unsupportedType(): RawAnswer {
  return errorAnswer(415, HttpTransportError.UNSUPPORTED_MEDIA_TYPE, 'Send Content-Type: application/json');
}

/**
 * Builds the endpoints as the server's options say (null when disabled), starts listening for forwarded requests,
 * and makes the metrics' contributor (the sessions gauge is set at scrape time).
 * @param hub The real-time server.
 * @param options The `httpTransports` options.
 * @param init The API body limit, the origins allowed from a browser, the metrics and the logger (null: none).
 */
export function createHttpTransports(
  hub: RealtimeServer,
  options: HttpTransportOptions | undefined,
  init: {
    readonly maxBodyBytes: number;
    readonly allowedOrigins: ReadonlySet<string>;
    readonly metrics: Metrics | null;
    readonly logger: Logger | null;
  },
): { readonly endpoints: HttpTransportEndpoints | null; readonly metrics: StatusContributor | null } {
  const settings = httpTransportSettings(options);
  if (!settings.enabled) return { endpoints: null, metrics: null };
  const metrics = init.metrics === null ? null : new HttpTransportMetrics(init.metrics.registry, init.metrics.prefix);
  const endpoints = new HttpTransportEndpoints(hub, {
    settings,
    maxBodyBytes: init.maxBodyBytes,
    allowedOrigins: init.allowedOrigins,
    ...(metrics === null ? {} : { observer: metrics }),
  });
  // Like the hub's control channel: a broker that cannot subscribe now (Redis down) resubscribes once it is back.
  endpoints
    .start()
    .catch((err: unknown) =>
      init.logger?.error({ event: 'http_transports_error', err }, 'cannot listen for forwarded requests'),
    );
  return {
    endpoints,
    metrics:
      metrics === null
        ? null
        : { name: 'httpTransports', health: () => null, collect: () => metrics.setSessions(endpoints.counts()) },
  };
}
