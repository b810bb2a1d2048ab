// Realtime: the contract of server-side application logic. In-process hooks and RPC handlers, and the HTTP proxy to
// a backend in any language (src/integrations/proxy), implement the same interface, so the hub runs either the same
// way: with a deadline, an exception answered `internal`, and a refusal answered with the code the logic chose.
import type { ErrorCode, JsonValue } from '../messages/index.ts';

/** Who is asking: the session's identity and connection, as every hook sees it. */
export interface LogicCaller {
  /** The connection id (128 random bits, hex). */
  readonly client: string;
  /** The user id (`anon-…` for anonymous sessions). */
  readonly user: string;
  readonly anonymous: boolean;
  readonly roles: readonly string[];
  /** Presence info from the token (or attached by `onConnect`); null when none. */
  readonly info: Readonly<Record<string, unknown>> | null;
  /** The client's address (the nearest untrusted one behind trusted proxies). */
  readonly remoteAddress: string;
  /** What carries the session: `websocket`, `sse` (the event-stream session) or `polling` (long polling). */
  readonly transport: string;
}

/**
 * The codes a refusal may carry: the protocol's error codes that mean "the application said no". A refusal never
 * carries `internal` (that is what an exception becomes) nor transport-level codes.
 */
export type RefusalCode = Extract<
  ErrorCode,
  | 'forbidden'
  | 'not_found'
  | 'invalid_message'
  | 'not_available'
  | 'rate_limited'
  | 'unauthorized'
  | 'too_large'
  | 'backend_unavailable'
>;

/** The logic said no: the client gets an `error` with this code and message (at most 256 characters). */
export interface Refusal {
  readonly refuse: {
    readonly code: RefusalCode;
    readonly message: string;
  };
}

/** `onConnect`'s answer: accept (optionally attaching presence info), or refuse (the connection is closed). */
export type ConnectDecision = undefined | { readonly info?: Readonly<Record<string, unknown>> } | Refusal;

/** `onSubscribe`'s answer: accept, or refuse. */
export type SubscribeDecision = undefined | Record<string, never> | Refusal;

/** `onPublish`'s answer: accept as is, accept with the data replaced, or refuse. */
export type PublishDecision = undefined | { readonly data?: JsonValue } | Refusal;

/** An RPC handler's answer: the `reply`'s data, or a refusal. */
export type RpcResult = { readonly data?: JsonValue } | Refusal;

/** What `onConnect` and `onRefresh` see. */
export interface ConnectContext extends LogicCaller {
  /** When the token expires (ms since the epoch), null when it does not. */
  readonly expiresAt: number | null;
}

/** What `onSubscribe` sees. */
export interface SubscribeContext extends LogicCaller {
  readonly channel: string;
  /** The namespace of the channel ('' for the default namespace). */
  readonly namespace: string;
}

/** What `onPublish` sees (`send` included: the channel is then the recipient's personal channel). */
export interface PublishContext extends SubscribeContext {
  readonly data: JsonValue;
}

/** What an RPC handler sees. */
export interface RpcContext extends LogicCaller {
  readonly method: string;
  readonly data: JsonValue;
}

/** What `onDisconnect` sees: the caller and the close. */
export interface DisconnectContext extends LogicCaller {
  readonly code: number;
  readonly reason: string;
}

/**
 * Server-side application logic. Every member is optional; every one may be async. The hub calls each with a
 * deadline (`RealtimeServerOptions.logicTimeoutMs`): a throw, a rejection, a deadline passed, or an answer of the
 * wrong shape is answered `internal` to the client (and logged), and never crashes or stalls the server.
 */
export interface ServerLogic {
  /** After the token is verified, before `connected`. A refusal closes the connection (4504 forbidden). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook with no return statement is typed void; it accepts
  onConnect?(context: ConnectContext): ConnectDecision | void | Promise<ConnectDecision | void>;
  /** After a refreshed token is verified. A refusal keeps the old identity and answers the `refresh` with an error. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook with no return statement is typed void; it accepts
  onRefresh?(context: ConnectContext): ConnectDecision | void | Promise<ConnectDecision | void>;
  /** After the permission check, before anything is joined. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook with no return statement is typed void; it accepts
  onSubscribe?(context: SubscribeContext): SubscribeDecision | void | Promise<SubscribeDecision | void>;
  /** After the permission check and payload validation, before the broker stores the publication. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook with no return statement is typed void; it accepts
  onPublish?(context: PublishContext): PublishDecision | void | Promise<PublishDecision | void>;
  /** After the session ended; its answer is ignored (fire and forget, still with the deadline). */
  onDisconnect?(context: DisconnectContext): void | Promise<void>;
  /**
   * Answers an `rpc` whose method has no in-process handler (`RealtimeServer#rpc`). Return null for "no such method"
   * (the client gets `not_found`). The HTTP proxy implements this for the methods it is configured for.
   */
  rpc?(context: RpcContext): RpcResult | null | Promise<RpcResult | null>;
}

/**
 * An in-process RPC handler registered with `RealtimeServer#rpc(name, handler)`: `{ data }` becomes the `reply`'s
 * data, `undefined` an empty reply, `{ refuse }` an `error`.
 */
export type RpcHandler = (context: RpcContext) => RpcResult | undefined | Promise<RpcResult | undefined>;
