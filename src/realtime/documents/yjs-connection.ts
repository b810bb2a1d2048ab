// Realtime documents: the y-websocket compatible endpoint (`/yjs/<name>` -> channel `<namespace>:<name>`): a plain
// WebSocket speaking y-protocols' binary messages, with the same identity, permissions, limits and documents as the
// Switchboard protocol. y-websocket has no error message: a refusal closes the connection with a code and reason
// (the provider reconnects and syncs again), except a read-only user's update, which is dropped like Hocuspocus does.
import type { WebSocket } from '../../engine/index.ts';
import { DisconnectCode, ErrorCode, RfcCloseCode, type DocKind } from '../../messages/index.ts';
import type { Identity } from '../auth/identity.ts';
import type { Namespaces } from '../namespaces.ts';
import type { RealtimeObserver } from '../observer.ts';
import type { Permissions } from '../permissions.ts';
import type { SessionTransport } from '../transport.ts';
import { ConnectionRateLimiter, type ConnectionRateLimitOptions } from '../connection-rate-limit.ts';
import type { DocumentPeer } from './peer.ts';
import type { DocumentRegistry } from './registry.ts';
import { decodeYjsFrame, encodeYjsFrame } from './yjs-wire.ts';

/** What the endpoint needs from the hub. */
export interface YjsEndpoint {
  /** Path prefix, `/yjs/`: the rest of the path (URI-decoded) is the document name. */
  readonly pathPrefix: string;
  /** The document namespace the names live in. */
  readonly namespace: string;
  readonly namespaces: Namespaces;
  readonly permissions: Permissions;
  readonly documents: DocumentRegistry;
  readonly observer: RealtimeObserver;
  readonly rateLimit: ConnectionRateLimitOptions;
  /** An identity for a connection that presented no credential (anonymous), or null when that is not allowed. */
  anonymous(): Promise<Identity | null>;
}

/** The close code of each refusal (the y-websocket wire has no error message). */
const CLOSE_FOR: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.INVALID_MESSAGE]: RfcCloseCode.INVALID_PAYLOAD,
  [ErrorCode.MESSAGE_TOO_LARGE]: RfcCloseCode.MESSAGE_TOO_BIG,
  [ErrorCode.DOCUMENT_TOO_LARGE]: RfcCloseCode.MESSAGE_TOO_BIG,
  [ErrorCode.RATE_LIMITED]: DisconnectCode.RATE_LIMITED,
  [ErrorCode.BROKER_UNAVAILABLE]: DisconnectCode.INTERNAL,
};

/** A y-websocket connection as a document peer. */
class YjsPeer implements DocumentPeer {
  readonly id: string;
  readonly format = 'y-websocket';
  readonly #ws: WebSocket;
  readonly #identity: Identity;
  readonly #observer: RealtimeObserver;

  constructor(ws: WebSocket, id: string, identity: Identity, observer: RealtimeObserver) {
    this.#ws = ws;
    this.id = id;
    this.#identity = identity;
    this.#observer = observer;
  }

  get identity(): Identity {
    return this.#identity;
  }

  frame(_channel: string, kind: DocKind, bytes: Uint8Array): Uint8Array {
    return encodeYjsFrame(kind, bytes);
  }

  sendFrame(frame: string | Uint8Array): void {
    this.#ws.send(frame);
  }

  get transport(): SessionTransport {
    return this.#ws;
  }

  fannedOut(): void {}

  refuse(code: ErrorCode, message: string): void {
    this.#observer.errorReply?.(code);
    // A read-only user's edit is dropped: closing would only make the provider reconnect and send it again.
    if (code === ErrorCode.FORBIDDEN) return;
    this.close(CLOSE_FOR[code] ?? RfcCloseCode.POLICY_VIOLATION, message);
  }

  accepted(): void {}

  lost(code: ErrorCode, reason: string): void {
    this.close(CLOSE_FOR[code] ?? DisconnectCode.INTERNAL, reason);
  }

  close(code: number, reason: string): void {
    // Close reasons are at most 123 bytes (RFC 6455 section 5.5); ours are ASCII.
    this.#ws.close(code, reason.slice(0, 123));
  }
}

let nextId = 0;
/** setTimeout's largest delay (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Serves one accepted WebSocket on the y-websocket path: resolves the document, checks the read permission, joins
 * the document (the registry sends sync step 1 and the awareness states), then relays every frame.
 * @param ws The accepted WebSocket (its `url` is the request target).
 * @param handshakeIdentity Who the handshake credential (query `token` or cookie) says the client is, or null.
 * @param endpoint The hub's services for the endpoint.
 */
export async function openYjsConnection(
  ws: WebSocket,
  handshakeIdentity: Identity | null,
  endpoint: YjsEndpoint,
): Promise<void> {
  // Frames arriving while the identity is resolved wait here (the provider sends sync step 1 at once).
  const early: Uint8Array[] = [];
  let handle: ((frame: Uint8Array) => void) | null = null;
  ws.addEventListener('message', (event) => {
    const data = event.data;
    const frame =
      typeof data === 'string' ? null : data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
    if (frame === null) {
      ws.close(RfcCloseCode.UNSUPPORTED_DATA, 'binary frames only');
      return;
    }
    if (handle === null) early.push(frame);
    else handle(frame);
  });
  ws.addEventListener('error', () => {});
  const identity = handshakeIdentity ?? (await endpoint.anonymous());
  if (identity === null) {
    ws.close(DisconnectCode.INVALID_TOKEN, 'a token is required (query parameter token or the cookie)');
    return;
  }
  const path = ws.url.split('?', 1)[0]!;
  let name: string;
  try {
    name = decodeURIComponent(path.slice(endpoint.pathPrefix.length));
  } catch {
    ws.close(RfcCloseCode.POLICY_VIOLATION, 'invalid document name');
    return;
  }
  const channel = `${endpoint.namespace}:${name}`;
  const allowed = endpoint.permissions.can(identity, 'subscribe', channel);
  if (!allowed.ok) {
    ws.close(
      allowed.code === 'forbidden' ? DisconnectCode.FORBIDDEN : RfcCloseCode.POLICY_VIOLATION,
      allowed.code === 'forbidden' ? 'forbidden' : `cannot open the document: ${allowed.reason}`,
    );
    return;
  }
  if (!allowed.config.document) {
    ws.close(RfcCloseCode.POLICY_VIOLATION, 'not a document namespace');
    return;
  }
  if (ws.readyState !== 1) return;
  const peer = new YjsPeer(ws, `yjs-${++nextId}`, identity, endpoint.observer);
  // y-websocket cannot refresh a token: the connection ends when it expires, and the provider reconnects with the
  // token its `params` hold by then.
  const expiresAt = identity.expiresAt;
  const expiry =
    expiresAt === null
      ? null
      : setTimeout(
          () => peer.close(DisconnectCode.TOKEN_EXPIRED, 'token expired'),
          Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS),
        );
  const limiter = new ConnectionRateLimiter(endpoint.rateLimit);
  const documents = endpoint.documents;
  ws.addEventListener('close', () => {
    if (expiry !== null) clearTimeout(expiry);
    documents.leave(peer.id, channel);
  });
  documents.join(peer, channel, allowed.config);
  handle = (frame) => {
    if (limiter.check(frame.byteLength) !== 'ok') {
      endpoint.observer.rateLimited?.('messages');
      peer.close(DisconnectCode.RATE_LIMITED, 'rate limited');
      return;
    }
    const message = decodeYjsFrame(frame);
    if (message === null) {
      peer.close(RfcCloseCode.INVALID_PAYLOAD, 'not a y-websocket message');
      return;
    }
    if (message.type === 'query-awareness') {
      documents.sendAwareness(peer.id, channel);
      return;
    }
    documents
      .receive(peer.id, channel, message.kind, message.data)
      .catch((err: unknown) => endpoint.observer.internalError?.(err));
  };
  for (const frame of early.splice(0)) handle(frame);
}
