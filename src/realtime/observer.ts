// Realtime: the hooks the HTTP layer plugs in for metrics and logs, and the read-only view of a session they get.
import type { ErrorCode } from '../messages/index.ts';
import type { LogicFailureReason, LogicHook } from './logic-failure.ts';
import type { OriginRefusal } from './origin.ts';

/** Why a session ended, for logs and metrics. */
export interface SessionEnd {
  readonly code: number;
  readonly reason: string;
  readonly durationMs: number;
}

/** What an observer may read of a session (a `Session` is one). */
export interface SessionInfo {
  /** 128-bit random connection id. */
  readonly id: string;
  /** The user id once authenticated, else null. */
  readonly user: string | null;
  readonly remoteAddress: string;
  /** The negotiated subprotocol, '' when the client offered none. */
  readonly protocol: string;
  /** When the session opened, in milliseconds since the epoch. */
  readonly openedAt: number;
  /** How the session ended, once it has. */
  readonly end: SessionEnd | null;
  /** Messages and bytes in and out so far (fan-out deliveries included). */
  readonly traffic: {
    readonly messagesIn: number;
    readonly bytesIn: number;
    readonly messagesOut: number;
    readonly bytesOut: number;
  };
}

/** Limits whose refusals are counted. */
export type RateLimitKind = 'messages' | 'bytes' | 'subscriptions' | 'connections' | 'connections_per_user';

/** Hooks the HTTP layer uses for metrics and logs; every one is optional. Labels are bounded sets, never peer strings. */
export interface RealtimeObserver {
  sessionOpened?(session: SessionInfo): void;
  sessionClosed?(session: SessionInfo): void;
  /** A frame arrived; `type` is the message type, or `other` when it could not be decoded. */
  messageIn?(type: string, bytes: number): void;
  /** A limit refused an action. */
  rateLimited?(limit: RateLimitKind): void;
  /** A credential was refused at the upgrade, at `connect` or at `refresh` (bounded reason from auth). */
  authFailed?(reason: string): void;
  messageOut?(type: string, bytes: number): void;
  errorReply?(code: ErrorCode): void;
  malformed?(code: ErrorCode): void;
  handshakeRejected?(reason: string): void;
  /**
   * A browser origin was refused (after `handshakeRejected`), so the operator can be told how to allow it.
   * @param origin the refused `Origin`, printable ASCII and length-bounded (see `shownOrigin`); a peer string, never a label
   */
  originRefused?(origin: string, reason: OriginRefusal): void;
  delivered?(count: number, latencyMs: number): void;
  slowConsumer?(action: 'dropped' | 'closed'): void;
  /**
   * A conflating connection replaced held publications by newer ones of their key, or forgot the oldest key beyond
   * `snapshotMaxKeys` (docs/feeds.md "Conflation for slow consumers").
   * @param skipped publications that will never be written to that connection
   */
  feedConflated?(skipped: number): void;
  /**
   * An outbound batch left for one connection (docs/feeds.md "Outbound batching"): a `publications` frame, or a
   * plain `publication` for a batch of one.
   * @param publications how many it held
   */
  feedBatchSent?(publications: number): void;
  brokerLatency?(operation: string, ms: number): void;
  internalError?(err: unknown): void;
  /**
   * A call to the server logic failed (it threw, missed `logicTimeoutMs`, or answered garbage); the client got `internal`.
   * @param detail what went wrong, for the logs (an error, possibly the application's own: never sent to a client)
   */
  logicFailed?(hook: LogicHook, reason: LogicFailureReason, detail: unknown): void;
}
