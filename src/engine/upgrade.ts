// Node binding: answers one HTTP upgrade request with 101 or an HTTP error; never leaves a socket unanswered.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import {
  acceptDeflateOffer,
  buildAcceptResponse,
  buildRejectResponse,
  Connection,
  HandshakeError,
  validateUpgradeRequest,
  type DeflateServerOptions,
  type ValidatedRequest,
} from '../protocol/index.ts';
import type { DeflateConfig } from './deflate-config.ts';
import { PerMessageDeflate } from './deflate.ts';
import { channels } from './diagnostics.ts';
import type { BindingOptions } from './socket-binding.ts';
import { kAttach, kStart, WebSocket, type HeartbeatOptions } from './websocket.ts';

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
export type AcceptResult = void | undefined | boolean | AcceptReject | AcceptOk;

/** The hook that decides whether an upgrade is accepted (authentication, origin checks). */
export type AcceptHook = (
  req: IncomingMessage,
  info: { readonly protocols: readonly string[]; readonly origin: string | null },
) => AcceptResult | Promise<AcceptResult>;

/** Picks a subprotocol from the client's list (in its order of preference); null or false for none. */
export type HandleProtocols = (protocols: readonly string[], req: IncomingMessage) => string | null | false;

/** @internal What the upgrade needs from its server. */
export interface UpgradeContext {
  readonly accept: AcceptHook | undefined;
  readonly handleProtocols: HandleProtocols | undefined;
  readonly handshakeTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly connection: { readonly maxMessageSize: number; readonly maxFrameSize: number; readonly maxFragments: number };
  readonly binding: BindingOptions;
  readonly heartbeat: HeartbeatOptions;
  /** permessage-deflate settings, or null when the server does not negotiate it. */
  readonly perMessageDeflate: DeflateConfig<DeflateServerOptions> | null;
  /** True while the server drains or is closed: new upgrades get 503. */
  isClosing(): boolean;
  /** Counts a handshake against the caps; 'ok' or which cap is full. */
  reserve(ip: string): 'ok' | 'global' | 'ip';
  /** Undoes one `reserve`. */
  release(ip: string): void;
  /** The socket is open: add it to the clients and emit `connection`. */
  connected(ws: WebSocket, req: IncomingMessage): void;
  /** The socket closed: remove it from the clients. */
  disconnected(ws: WebSocket): void;
  /** An upgrade was refused with an HTTP status. */
  rejected(info: { status: number; reason: string; req: IncomingMessage }): void;
  /** An application hook threw or misbehaved. */
  error(err: Error): void;
}

/**
 * Why the server refused an upgrade, beyond the validator's own codes (`HandshakeError.code`):
 * the `reason` of the `rejected` event and of the `handshake-rejected` diagnostics channel.
 * Listed in docs/errors.md.
 */
export const UPGRADE_REJECT_REASONS = [
  'WS_ERR_SERVER_CLOSING',
  'WS_ERR_TOO_MANY_CONNECTIONS',
  'WS_ERR_TOO_MANY_CONNECTIONS_PER_IP',
  'WS_ERR_HANDSHAKE_TIMEOUT',
  'WS_ERR_REJECTED_BY_HOOK',
  'WS_ERR_HOOK_FAILED',
  'WS_ERR_UNKNOWN_PATH',
] as const;

/** One of {@link UPGRADE_REJECT_REASONS}. */
export type UpgradeRejectReason = (typeof UPGRADE_REJECT_REASONS)[number];

function ignoreError(): void {}

/**
 * The accepted connection's close hook: frees its capacity slot once and reports it. Built outside
 * `handleUpgradeRequest` so it captures only `ctx` and `ip`, not the IncomingMessage (the
 * connection's own `onClosed` runs once, so the slot is released once; every earlier path that
 * released it returned before the connection existed).
 */
function closedCallback(ctx: UpgradeContext, ip: string): (ws: WebSocket) => void {
  return (closed) => {
    ctx.release(ip);
    ctx.disconnected(closed);
  };
}

/** Bytes read from a peer while its async accept hook runs; beyond, reading pauses. */
const EARLY_DATA_LIMIT = 64 * 1024;

/**
 * Writes an HTTP error response and ends the socket, so nothing the peer sent after the request
 * is ever read as a frame (HS-20); the socket is destroyed once the answer is flushed.
 * @param socket - the upgrade socket
 * @param status - 300-599
 * @param opts - extra headers and body
 */
export function writeRejection(socket: Duplex, status: number, opts?: { headers?: Record<string, string>; body?: string }): void {
  socket.removeAllListeners('data');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  let response: string;
  try {
    response = buildRejectResponse(status, opts);
  } catch {
    response = buildRejectResponse(500);
  }
  socket.once('finish', () => socket.destroy());
  socket.end(response);
  // A peer that never reads could keep 'finish' from firing: the answer is small, so a second is plenty.
  setTimeout(() => socket.destroy(), 1000).unref();
}

function isReject(result: AcceptResult): result is AcceptReject {
  return typeof result === 'object' && result !== null && typeof (result as AcceptReject).status === 'number';
}

function isPromiseLike(value: unknown): value is PromiseLike<AcceptResult> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs the server side of the opening handshake on one socket: validation (RFC 6455 §4.2.1),
 * drain and capacity checks, the accept hook, subprotocol selection, the 101, and the binding.
 * Every path ends in a 101, an HTTP error plus destroy, or a destroy at the handshake deadline.
 * @param req - the upgrade request
 * @param socket - its socket; owned by this function from now on
 * @param head - bytes that arrived after the request head (frames pipelined with the handshake)
 * @param ctx - the server's state and options
 */
export function handleUpgradeRequest(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
  // An RST during the handshake must not become an unhandled 'error' (HS-21).
  socket.on('error', ignoreError);
  const ip = (socket as { remoteAddress?: string }).remoteAddress ?? '';

  const reject = (status: number, reason: string, opts?: { headers?: Record<string, string>; body?: string }): void => {
    ctx.rejected({ status, reason, req });
    if (channels.handshakeRejected.hasSubscribers) {
      // The path only: query strings carry tokens (`?token=`), which never reach logs or metrics.
      const url = req.url ?? '';
      const q = url.indexOf('?');
      channels.handshakeRejected.publish({ status, reason, remoteAddress: ip, url: q < 0 ? url : url.slice(0, q) });
    }
    writeRejection(socket, status, opts);
  };

  if (ctx.isClosing()) {
    reject(503, 'WS_ERR_SERVER_CLOSING', { headers: { 'Retry-After': String(ctx.retryAfterSeconds) } });
    return;
  }

  let validated: ValidatedRequest;
  try {
    validated = validateUpgradeRequest({
      method: req.method ?? '',
      httpVersion: req.httpVersion,
      url: req.url ?? '',
      // headersDistinct keeps repeated single-valued headers visible (two Host lines -> 400).
      headers: req.headersDistinct as Record<string, string[]>,
    });
  } catch (err) {
    if (err instanceof HandshakeError) reject(err.status, err.code, { headers: { ...err.headers } });
    else reject(400, 'WS_ERR_INVALID_HEADER');
    return;
  }

  const cap = ctx.reserve(ip);
  if (cap !== 'ok') {
    reject(503, cap === 'ip' ? 'WS_ERR_TOO_MANY_CONNECTIONS_PER_IP' : 'WS_ERR_TOO_MANY_CONNECTIONS', {
      headers: { 'Retry-After': String(ctx.retryAfterSeconds) },
    });
    return;
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    ctx.release(ip);
  };
  let settled = false;
  const onEarlyClose = (): void => {
    settled = true;
    clearTimeout(timer);
    release();
  };
  socket.once('close', onEarlyClose);
  // The accept hook may be slow (a token lookup): the handshake deadline covers it (HS-17).
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    release();
    reject(408, 'WS_ERR_HANDSHAKE_TIMEOUT');
  }, ctx.handshakeTimeoutMs);
  timer.unref();

  // While an async hook runs, keep reading (bounded) so a peer that leaves is noticed and its
  // capacity slot released at once; the bytes read are handed to the connection afterwards.
  let early: Buffer[] | null = null;
  let earlyBytes = 0;
  const onEarlyData = (chunk: Buffer): void => {
    early!.push(chunk);
    earlyBytes += chunk.length;
    if (earlyBytes > EARLY_DATA_LIMIT) socket.pause();
  };
  const onEarlyEnd = (): void => {
    socket.destroy();
  };

  const finish = (result: AcceptResult): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.removeListener('close', onEarlyClose);
    if (early !== null) {
      socket.pause();
      socket.removeListener('data', onEarlyData);
      socket.removeListener('end', onEarlyEnd);
      if (early.length > 0) head = Buffer.concat([head, ...early]);
      early = null;
    }
    if (!socket.writable || (socket as { destroyed?: boolean }).destroyed === true) {
      release();
      socket.destroy();
      return;
    }
    if (ctx.isClosing()) {
      release();
      reject(503, 'WS_ERR_SERVER_CLOSING', { headers: { 'Retry-After': String(ctx.retryAfterSeconds) } });
      return;
    }
    if (result === false) {
      release();
      reject(403, 'WS_ERR_REJECTED_BY_HOOK');
      return;
    }
    if (isReject(result)) {
      release();
      const status = Number.isInteger(result.status) && result.status >= 300 && result.status <= 599 ? result.status : 500;
      const opts: { headers?: Record<string, string>; body?: string } = {};
      if (result.headers !== undefined) opts.headers = result.headers;
      if (result.body !== undefined) opts.body = result.body;
      reject(status, 'WS_ERR_REJECTED_BY_HOOK', opts);
      return;
    }
    const ok: AcceptOk = typeof result === 'object' && result !== null ? result : {};
    let protocol: string | null = null;
    try {
      if (ok.protocol !== undefined) protocol = ok.protocol;
      else if (ctx.handleProtocols !== undefined && validated.protocols.length > 0) {
        const chosen = ctx.handleProtocols(validated.protocols, req);
        protocol = typeof chosen === 'string' ? chosen : null;
      }
    } catch (err) {
      release();
      ctx.error(err instanceof Error ? err : new Error(String(err)));
      reject(500, 'WS_ERR_HOOK_FAILED');
      return;
    }
    // RFC 6455 §4.2.2 /subprotocol/: the server's choice MUST be one the client offered.
    if (protocol !== null && !validated.protocols.includes(protocol)) {
      release();
      ctx.error(new Error(`Cannot select subprotocol "${protocol}": the client did not offer it`));
      reject(500, 'WS_ERR_INVALID_PROTOCOL');
      return;
    }
    // RFC 7692 §5: the first acceptable permessage-deflate offer wins; invalid ones are declined (§7).
    const pmd = ctx.perMessageDeflate;
    const deflate = pmd === null || validated.extensions.length === 0 ? null : acceptDeflateOffer(validated.extensions, pmd.negotiation);
    let response: string;
    try {
      const init: { key: string; protocol: string | null; extensions: string | null; headers?: Record<string, string> } = {
        key: validated.key,
        protocol,
        extensions: deflate === null ? null : deflate.response,
      };
      if (ok.headers !== undefined) init.headers = ok.headers;
      response = buildAcceptResponse(init);
    } catch (err) {
      release();
      ctx.error(err instanceof Error ? err : new Error(String(err)));
      reject(500, 'WS_ERR_HOOK_FAILED');
      return;
    }
    const connection = new Connection({
      role: 'server',
      maxMessageSize: ctx.connection.maxMessageSize,
      maxFrameSize: ctx.connection.maxFrameSize,
      maxFragments: ctx.connection.maxFragments,
      rsv1Extension: deflate !== null,
      utf8Check: isUtf8,
    });
    const ws = new WebSocket({
      role: 'server',
      url: req.url ?? '/',
      remoteAddress: ip,
      request: { headers: req.headers, url: req.url ?? '/' },
      context: ok.context,
      binding: ctx.binding,
      heartbeat: ctx.heartbeat,
      // Not a closure of this scope: V8 would keep the whole handshake context (req, head, timer,
      // validated, the reject/early-data closures) alive for the connection's life (~1.5 KB each).
      onClosed: closedCallback(ctx, ip),
    });
    socket.write(response);
    socket.removeListener('error', ignoreError);
    ws[kAttach](socket, connection, {
      protocol: protocol ?? '',
      extensions: deflate === null ? '' : deflate.response,
      deflate:
        deflate === null || pmd === null
          ? null
          : new PerMessageDeflate({
              role: 'server',
              params: deflate.params,
              threshold: pmd.threshold,
              maxMessageSize: ctx.connection.maxMessageSize,
              limiter: pmd.limiter,
            }),
    });
    ctx.connected(ws, req);
    ws[kStart](head.length > 0 ? head : null, false);
  };

  const accept = ctx.accept;
  if (accept === undefined) {
    finish(undefined);
    return;
  }
  let result: AcceptResult | Promise<AcceptResult>;
  try {
    result = accept(req, { protocols: validated.protocols, origin: validated.origin });
  } catch (err) {
    failHook(err);
    return;
  }
  if (isPromiseLike(result)) {
    early = [];
    socket.on('data', onEarlyData);
    socket.on('end', onEarlyEnd);
    result.then(finish, failHook);
  } else {
    finish(result);
  }

  function failHook(err: unknown): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.removeListener('close', onEarlyClose);
    release();
    ctx.error(err instanceof Error ? err : new Error(String(err)));
    reject(500, 'WS_ERR_HOOK_FAILED');
  }
}
