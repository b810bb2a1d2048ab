// Node binding: answers one HTTP upgrade request with 101 or an HTTP error; never leaves a socket unanswered.
// Over 400 lines as one idea: request to 101 or a refusal, with every refusal path written out.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import {
  acceptDeflateOffer,
  encodeAcceptResponse,
  buildRejectResponse,
  Connection,
  HandshakeError,
  pickUpgradeHeaders,
  validateUpgradeRequest,
  type DeflateServerOptions,
  type ValidatedRequest,
} from '../protocol/index.ts';
import type { DeflateConfig } from './deflate-config.ts';
import { PerMessageDeflate } from './deflate.ts';
import { channels } from './diagnostics.ts';
import { KeptRequest, requestHeadOf } from './head-request.ts';
import type { BindingOptions } from './socket-binding.ts';
import {
  isPromiseLike,
  isReject,
  type AcceptHook,
  type AcceptOk,
  type AcceptResult,
  type HandleProtocols,
} from './accept-hook.ts';
import { kAttach, kStart, WebSocket, type HeartbeatOptions } from './websocket.ts';

export type { AcceptHook, AcceptOk, AcceptReject, AcceptResult, HandleProtocols } from './accept-hook.ts';

/** @internal What the upgrade needs from its server. */
export interface UpgradeContext {
  readonly accept: AcceptHook | undefined;
  readonly handleProtocols: HandleProtocols | undefined;
  readonly handshakeTimeoutMs: number;
  readonly retryAfterSeconds: number;
  readonly connection: {
    readonly maxMessageSize: number;
    readonly maxFrameSize: number;
    readonly maxFragments: number;
  };
  readonly binding: BindingOptions;
  readonly heartbeat: HeartbeatOptions;
  /** Whether each connection keeps its request's headers as `ws.request` (`ServerOptions.keepRequestHeaders`). */
  readonly keepRequestHeaders: boolean;
  /** permessage-deflate settings, or null when the server does not negotiate it. */
  readonly perMessageDeflate: DeflateConfig<DeflateServerOptions> | null;
  /** True while the server drains or is closed: new upgrades get 503. */
  isClosing(): boolean;
  /** Whether the address is needed at the handshake (`maxConnectionsPerIp` is finite, or proxies are trusted). */
  readonly capsAddresses: boolean;
  /** The client's address for a request on this socket (see `ServerOptions.trustedProxies`). */
  clientAddress(req: IncomingMessage, socket: Duplex): string;
  /** Counts a handshake against the caps; 'ok' or which cap is full (`ip` is '' unless `capsAddresses`). */
  reserve(ip: string): 'ok' | 'global' | 'ip';
  /** Undoes one `reserve`. */
  release(ip: string): void;
  /** The socket is open: add it to the clients and emit `connection`. */
  connected(ws: WebSocket, req: IncomingMessage): void;
  /**
   * The socket closed: release its capacity slot and remove it from the clients. Called with the
   * connection only (its `remoteAddress` is the address it was reserved under), so one function
   * serves every connection of the server.
   */
  readonly disconnected: (ws: WebSocket) => void;
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

/** Bytes read from a peer while its async accept hook runs; beyond, reading pauses. */
const EARLY_DATA_LIMIT = 64 * 1024;

/**
 * Writes an HTTP error response and ends the socket, so nothing the peer sent after the request
 * is ever read as a frame (HS-20); the socket is destroyed once the answer is flushed.
 * @param socket - the upgrade socket
 * @param status - 300-599
 * @param opts - extra headers and body
 */
export function writeRejection(
  socket: Duplex,
  status: number,
  opts?: { headers?: Record<string, string>; body?: string },
): void {
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

/** The peer's address as Node reports it ('' when unknown). Asking costs a getpeername and a cached object. */
function remoteAddressOf(socket: Duplex): string {
  return (socket as { remoteAddress?: string }).remoteAddress ?? '';
}

/**
 * The headers the handshake is validated on, with repeated lines kept visible (two Host lines ->
 * 400). Read from the raw list when there is one: neither `headersDistinct` nor `headers` (both
 * built by Node on first access) is built for this. A request object without `rawHeaders` (built
 * by the application for `handleUpgrade`) is read through `headersDistinct`, then `headers`.
 */
function handshakeHeaders(req: IncomingMessage): Record<string, string | string[] | undefined> {
  // The `net` accept path picked them while parsing the head.
  const head = requestHeadOf(req);
  if (head !== undefined) return head.upgradeHeaders();
  const raw = (req as { rawHeaders?: unknown }).rawHeaders;
  if (Array.isArray(raw)) return pickUpgradeHeaders(raw as string[]);
  return (req.headersDistinct as Record<string, string[] | undefined> | undefined) ?? req.headers;
}

function retryAfter(ctx: UpgradeContext): { headers: Record<string, string> } {
  return { headers: { 'Retry-After': String(ctx.retryAfterSeconds) } };
}

/** Refuses the upgrade with an HTTP answer: `rejected` event, diagnostics, then the answer and a destroyed socket. */
export function rejectUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  status: number,
  reason: string,
  opts?: { headers?: Record<string, string>; body?: string },
): void {
  // An RST while the answer is written must not become an unhandled 'error' (HS-21).
  socket.on('error', ignoreError);
  ctx.rejected({ status, reason, req });
  if (channels.handshakeRejected.hasSubscribers) {
    // The path only: query strings carry tokens (`?token=`), which never reach logs or metrics.
    const url = req.url ?? '';
    const q = url.indexOf('?');
    channels.handshakeRejected.publish({
      status,
      reason,
      remoteAddress: remoteAddressOf(socket),
      url: q < 0 ? url : url.slice(0, q),
    });
  }
  writeRejection(socket, status, opts);
}

function hookFailed(ctx: UpgradeContext, req: IncomingMessage, socket: Duplex, err: unknown): void {
  ctx.error(err instanceof Error ? err : new Error(String(err)));
  rejectUpgrade(ctx, req, socket, 500, 'WS_ERR_HOOK_FAILED');
}

/**
 * Runs the server side of the opening handshake on one socket: validation (RFC 6455 §4.2.1),
 * drain and capacity checks, the accept hook, subprotocol selection, the 101, and the binding.
 * Every path ends in a 101, an HTTP error plus destroy, or a destroy at the handshake deadline.
 *
 * With no hook or a synchronous one, everything happens in this call: no timer, no listener and
 * no closure is created for the handshake (the deadline only matters while a hook is pending).
 * @param req - the upgrade request
 * @param socket - its socket; owned by this function from now on
 * @param head - bytes that arrived after the request head (frames pipelined with the handshake)
 * @param ctx - the server's state and options
 */
export function handleUpgradeRequest(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: UpgradeContext): void {
  if (ctx.isClosing()) {
    rejectUpgrade(ctx, req, socket, 503, 'WS_ERR_SERVER_CLOSING', retryAfter(ctx));
    return;
  }

  let validated: ValidatedRequest;
  try {
    validated = validateUpgradeRequest({
      method: req.method ?? '',
      httpVersion: req.httpVersion,
      url: req.url ?? '',
      headers: handshakeHeaders(req),
    });
  } catch (err) {
    if (err instanceof HandshakeError)
      rejectUpgrade(ctx, req, socket, err.status, err.code, { headers: { ...err.headers } });
    else rejectUpgrade(ctx, req, socket, 400, 'WS_ERR_INVALID_HEADER');
    return;
  }

  // The address is read now only when a per-address cap or trusted proxies need it; otherwise the connection
  // asks the socket when the application does (a getpeername and a cached object saved per connection).
  const ip = ctx.capsAddresses ? ctx.clientAddress(req, socket) : '';
  const cap = ctx.reserve(ip);
  if (cap !== 'ok') {
    rejectUpgrade(
      ctx,
      req,
      socket,
      503,
      cap === 'ip' ? 'WS_ERR_TOO_MANY_CONNECTIONS_PER_IP' : 'WS_ERR_TOO_MANY_CONNECTIONS',
      retryAfter(ctx),
    );
    return;
  }

  const upgrade: PendingUpgrade = { req, socket, head, ctx, validated, ip };
  const accept = ctx.accept;
  if (accept === undefined) {
    completeUpgrade(upgrade, undefined);
    return;
  }
  let result: AcceptResult | Promise<AcceptResult>;
  try {
    result = accept(req, {
      protocols: validated.protocols,
      origin: validated.origin,
      address: ctx.capsAddresses ? ip : remoteAddressOf(socket),
    });
  } catch (err) {
    ctx.release(ip);
    hookFailed(ctx, req, socket, err);
    return;
  }
  if (isPromiseLike(result)) awaitHook(upgrade, result);
  else completeUpgrade(upgrade, result);
}

/** A validated upgrade waiting for the accept hook's answer. */
interface PendingUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  /** Bytes after the request head; grows with what the peer sends while an async hook runs. */
  head: Buffer;
  readonly ctx: UpgradeContext;
  readonly validated: ValidatedRequest;
  /** The address the capacity slot was reserved for ('' when no per-address cap applies). */
  readonly ip: string;
}

/**
 * An async accept hook is pending: the handshake deadline covers it (HS-17), a peer that leaves
 * releases its capacity slot at once, and bytes it sends meanwhile are kept (bounded) for the
 * connection.
 */
function awaitHook(upgrade: PendingUpgrade, pending: PromiseLike<AcceptResult>): void {
  const { req, socket, ctx, ip } = upgrade;
  // An RST while the hook runs must not become an unhandled 'error' (HS-21).
  socket.on('error', ignoreError);
  let settled = false;
  let early: Buffer[] = [];
  let earlyBytes = 0;
  const onEarlyData = (chunk: Buffer): void => {
    early.push(chunk);
    earlyBytes += chunk.length;
    if (earlyBytes > EARLY_DATA_LIMIT) socket.pause();
  };
  const onEarlyEnd = (): void => {
    socket.destroy();
  };
  const onEarlyClose = (): void => {
    settled = true;
    clearTimeout(timer);
    ctx.release(ip);
  };
  const stopWaiting = (): void => {
    settled = true;
    clearTimeout(timer);
    socket.removeListener('close', onEarlyClose);
    socket.pause();
    socket.removeListener('data', onEarlyData);
    socket.removeListener('end', onEarlyEnd);
    socket.removeListener('error', ignoreError);
    if (early.length > 0) upgrade.head = Buffer.concat([upgrade.head, ...early]);
    early = [];
  };
  const timer = setTimeout(() => {
    if (settled) return;
    stopWaiting();
    ctx.release(ip);
    rejectUpgrade(ctx, req, socket, 408, 'WS_ERR_HANDSHAKE_TIMEOUT');
  }, ctx.handshakeTimeoutMs);
  timer.unref();
  socket.once('close', onEarlyClose);
  socket.on('data', onEarlyData);
  socket.on('end', onEarlyEnd);
  pending.then(
    (result) => {
      if (settled) return;
      stopWaiting();
      completeUpgrade(upgrade, result);
    },
    (err: unknown) => {
      if (settled) return;
      stopWaiting();
      ctx.release(ip);
      hookFailed(ctx, req, socket, err);
    },
  );
}

/** Pooled allocation for the 101 answer (Buffer.allocUnsafe takes small sizes from an 8 KiB slab). */
function allocResponse(length: number): Uint8Array {
  return Buffer.allocUnsafe(length);
}

/** The `Host` value of the previous upgrade: consecutive clients of one server send the same one. */
let lastHost = '';

/**
 * `req.headers` as the connection keeps it (`ws.request.headers`). The values nearly every upgrade
 * repeats are swapped for shared strings, so the parser's copies (~100 bytes per connection) are
 * freed with the request; the map and every value stay as Node built them.
 */
function retainedHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const headers = req.headers;
  if (headers.upgrade === 'websocket') headers.upgrade = 'websocket';
  if (headers.connection === 'Upgrade') headers.connection = 'Upgrade';
  if (headers['sec-websocket-version'] === '13') headers['sec-websocket-version'] = '13';
  const host = headers.host;
  if (host !== undefined) {
    if (host === lastHost) headers.host = lastHost;
    else lastHost = host;
  }
  return headers;
}

/**
 * The hook has answered (or there is none): reject, or write the 101 and bind the connection.
 * The capacity slot reserved for this handshake is released on every path that does not open a
 * connection; an open connection releases it through `ctx.disconnected`.
 */
function completeUpgrade(upgrade: PendingUpgrade, result: AcceptResult): void {
  const { req, socket, head, ctx, validated, ip } = upgrade;
  if (!socket.writable || (socket as { destroyed?: boolean }).destroyed === true) {
    ctx.release(ip);
    socket.destroy();
    return;
  }
  if (ctx.isClosing()) {
    ctx.release(ip);
    rejectUpgrade(ctx, req, socket, 503, 'WS_ERR_SERVER_CLOSING', retryAfter(ctx));
    return;
  }
  if (result === false) {
    ctx.release(ip);
    rejectUpgrade(ctx, req, socket, 403, 'WS_ERR_REJECTED_BY_HOOK');
    return;
  }
  if (isReject(result)) {
    ctx.release(ip);
    const status =
      Number.isInteger(result.status) && result.status >= 300 && result.status <= 599 ? result.status : 500;
    const opts: { headers?: Record<string, string>; body?: string } = {};
    if (result.headers !== undefined) opts.headers = result.headers;
    if (result.body !== undefined) opts.body = result.body;
    rejectUpgrade(ctx, req, socket, status, 'WS_ERR_REJECTED_BY_HOOK', opts);
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
    ctx.release(ip);
    hookFailed(ctx, req, socket, err);
    return;
  }
  // RFC 6455 §4.2.2 /subprotocol/: the server's choice MUST be one the client offered.
  if (protocol !== null && !validated.protocols.includes(protocol)) {
    ctx.release(ip);
    ctx.error(new Error(`Cannot select subprotocol "${protocol}": the client did not offer it`));
    rejectUpgrade(ctx, req, socket, 500, 'WS_ERR_INVALID_PROTOCOL');
    return;
  }
  // RFC 7692 §5: the first acceptable permessage-deflate offer wins; invalid ones are declined (§7).
  const pmd = ctx.perMessageDeflate;
  const deflate =
    pmd === null || validated.extensions.length === 0
      ? null
      : acceptDeflateOffer(validated.extensions, pmd.negotiation);
  let response: Uint8Array;
  try {
    const init: { key: string; protocol: string | null; extensions: string | null; headers?: Record<string, string> } =
      {
        key: validated.key,
        protocol,
        extensions: deflate === null ? null : deflate.response,
      };
    if (ok.headers !== undefined) init.headers = ok.headers;
    // The common 101 is a prebuilt template with the accept key written in (pooled, no string encoding).
    response = encodeAcceptResponse(init, allocResponse);
  } catch (err) {
    ctx.release(ip);
    hookFailed(ctx, req, socket, err);
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
  const url = req.url ?? '/';
  const parsed = requestHeadOf(req);
  const ws = new WebSocket({
    role: 'server',
    url,
    remoteAddress: ctx.capsAddresses ? ip : null,
    // Kept only when asked (`keepRequestHeaders`); a request of the `net` path then keeps only its head's text and
    // builds the header map if ever asked for.
    request: !ctx.keepRequestHeaders
      ? null
      : parsed === undefined
        ? { headers: retainedHeaders(req), url }
        : new KeptRequest(parsed),
    context: ok.context,
    binding: ctx.binding,
    heartbeat: ctx.heartbeat,
    // Shared by the server's connections: a closure here would keep this handshake's scope alive.
    onClosed: ctx.disconnected,
  });
  socket.write(response);
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
}
