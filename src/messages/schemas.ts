// Node-free application protocol: the zod schema of every message, shared by server and browser client.
import { z } from 'zod';
import { BASE64_TEXT, DOC_KINDS, Limits, RPC_METHOD_NAME, isPrintableString, isValidChannelName } from './limits.ts';

/** Any value JSON can carry. MessagePack clients are held to the same set, so every client can read every publication. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** Request id chosen by the client: an unsigned 32-bit integer, echoed as `re` in the answer. */
export const RequestIdSchema = z.int().min(0).max(Limits.MAX_RID);
/** A channel name (see `isValidChannelName`). */
export const ChannelSchema = z
  .string()
  .max(Limits.MAX_CHANNEL_LENGTH)
  .refine(isValidChannelName, 'Invalid channel name');
/** A stream offset: a safe non-negative integer (no strings, no floats, no Infinity). */
export const OffsetSchema = z.int().min(0);
/** An epoch: opaque printable ASCII chosen by the server; it changes when history is lost. */
export const EpochSchema = z.string().min(1).max(Limits.MAX_EPOCH_LENGTH).regex(PRINTABLE_ASCII);
/** A position in a channel's stream: the last publication the client saw. */
export const StreamPositionSchema = z.strictObject({ epoch: EpochSchema, offset: OffsetSchema });
/** A client message id (publish / send `id`), used for deduplication of retries: printable ASCII. */
export const MessageIdSchema = z.string().min(1).max(Limits.MAX_ID_LENGTH).regex(PRINTABLE_ASCII);
/**
 * A feed key (a symbol, a sensor id) on a publication: snapshots keep the latest publication per key and conflation
 * the newest queued one per key (docs/feeds.md). Same rules as a message id: printable ASCII, at most `MAX_ID_LENGTH`.
 */
export const FeedKeySchema = MessageIdSchema;
/** A user id. */
export const UserSchema = z
  .string()
  .max(Limits.MAX_USER_LENGTH)
  .refine((v) => isPrintableString(v, Limits.MAX_USER_LENGTH), 'Invalid user id');
/** A token (JWT): printable ASCII. */
export const TokenSchema = z.string().min(1).max(Limits.MAX_TOKEN_LENGTH).regex(PRINTABLE_ASCII);
/** Application payload. The codecs have already checked it is JSON-compatible; here it must only be present. */
export const DataSchema = z.custom<JsonValue>((value) => value !== undefined, 'Required');
/** Milliseconds since the Unix epoch. */
export const TimeSchema = z.int().min(0);

const rid = RequestIdSchema.optional();

// ---------------------------------------------------------------- client -> server (strict: unknown keys rejected)

/** `connect`: authenticate (token optional when the server allows anonymous access). */
export const ConnectSchema = z.strictObject({
  type: z.literal('connect'),
  rid,
  token: TokenSchema.optional(),
  name: z
    .string()
    .max(Limits.MAX_NAME_LENGTH)
    .refine((v) => isPrintableString(v, Limits.MAX_NAME_LENGTH), 'Invalid name')
    .optional(),
});
/** `subscribe`: join a channel, optionally recovering from a stream position. */
export const SubscribeSchema = z.strictObject({
  type: z.literal('subscribe'),
  rid,
  channel: ChannelSchema,
  since: StreamPositionSchema.optional(),
  presence: z.boolean().optional(),
});
/** `unsubscribe`: leave a channel (answered even when not subscribed). */
export const UnsubscribeSchema = z.strictObject({ type: z.literal('unsubscribe'), rid, channel: ChannelSchema });
/** `publish`: send data to a channel; `id` deduplicates retries. */
export const PublishSchema = z.strictObject({
  type: z.literal('publish'),
  rid,
  channel: ChannelSchema,
  data: DataSchema,
  id: MessageIdSchema,
  /** false: the publishing connection does not receive its own publication live (other connections do). */
  echo: z.boolean().optional(),
  /** The feed key (see {@link FeedKeySchema}). */
  key: FeedKeySchema.optional(),
});
/** `send`: private message to every connection of `user`. */
export const SendSchema = z.strictObject({
  type: z.literal('send'),
  rid,
  user: UserSchema,
  data: DataSchema,
  id: MessageIdSchema.optional(),
});
/** `typing`: start (`on: true`) or stop typing in a channel. */
export const TypingSchema = z.strictObject({ type: z.literal('typing'), rid, channel: ChannelSchema, on: z.boolean() });
/** `history`: read a channel's retained publications. `rid` is required: the answer is the point. */
export const HistorySchema = z.strictObject({
  type: z.literal('history'),
  rid: RequestIdSchema,
  channel: ChannelSchema,
  limit: z.int().min(1).max(Limits.MAX_HISTORY_LIMIT).optional(),
  since: StreamPositionSchema.optional(),
  before: OffsetSchema.optional(),
});
/** `presence`: who is in a channel. `rid` is required. */
export const PresenceSchema = z.strictObject({
  type: z.literal('presence'),
  rid: RequestIdSchema,
  channel: ChannelSchema,
});
/** `refresh`: replace the connection's token before it expires. */
export const RefreshSchema = z.strictObject({ type: z.literal('refresh'), rid, token: TokenSchema });
/** `ping`: application-level round trip. `rid` is required. */
export const PingSchema = z.strictObject({ type: z.literal('ping'), rid: RequestIdSchema });
/** `stats`: server statistics. `rid` is required. */
export const StatsSchema = z.strictObject({ type: z.literal('stats'), rid: RequestIdSchema });
/** `rpc`: call a method of the server's application logic; answered by a `reply` or an `error`. `rid` is required. */
export const RpcSchema = z.strictObject({
  type: z.literal('rpc'),
  rid: RequestIdSchema,
  method: z.string().max(Limits.MAX_RPC_METHOD_LENGTH).regex(RPC_METHOD_NAME),
  data: DataSchema.optional(),
});
/** `delete`: turn the publication at `offset` into a tombstone (moderators, or its author). `rid` is required. */
export const DeleteSchema = z.strictObject({
  type: z.literal('delete'),
  rid: RequestIdSchema,
  channel: ChannelSchema,
  offset: OffsetSchema,
  epoch: EpochSchema.optional(),
});

/**
 * Yjs bytes inside a document message: standard base64 (RFC 4648 section 4, with padding) in both subprotocols, so the
 * MessagePack codec keeps its "JSON values only" rule and every message has one representation. At most
 * `Limits.MAX_MESSAGE_SIZE` per frame applies first; a document namespace sets its own, lower update size.
 */
export const DocBytesSchema = z.string().max(Limits.MAX_MESSAGE_SIZE).regex(BASE64_TEXT, 'Invalid base64');
/**
 * The kinds of document message, y-protocols' own: `sync1` carries a state vector (what the sender has), `sync2`
 * the update the receiver lacks (the answer to a `sync1`), `update` an incremental update, `awareness` an awareness
 * update (cursors, selections, user name and colour).
 */
export const DocKindSchema = z.enum(DOC_KINDS);
/**
 * `doc`: a Yjs sync or awareness message for a document the connection has subscribed to (a channel in a namespace
 * with `document` set). Both directions use this shape; the server's copy carries no `rid`.
 */
export const DocSchema = z.strictObject({
  type: z.literal('doc'),
  rid,
  channel: ChannelSchema,
  kind: DocKindSchema,
  data: DocBytesSchema,
  /** Client only: a part of a larger `sync2` or `update`, more parts follow; the last part has no `more`. */
  more: z.literal(true).optional(),
  /** Client only: with `true`, a `rid` is answered only by a refusal; a success sends no `reply`. */
  quiet: z.boolean().optional(),
});

/** Every client message that may appear inside a `batch` (all but `batch` itself). */
export const SingleClientMessageSchema = z.discriminatedUnion('type', [
  ConnectSchema,
  SubscribeSchema,
  UnsubscribeSchema,
  PublishSchema,
  SendSchema,
  TypingSchema,
  HistorySchema,
  PresenceSchema,
  RefreshSchema,
  PingSchema,
  StatsSchema,
  RpcSchema,
  DeleteSchema,
  DocSchema,
]);
/** `batch`: 1 to `Limits.MAX_BATCH` messages in one frame, answered one by one. Batches do not nest. */
export const BatchSchema = z.strictObject({
  type: z.literal('batch'),
  messages: z.array(SingleClientMessageSchema).min(1).max(Limits.MAX_BATCH),
});
/** Any client -> server message. */
export const ClientMessageSchema = z.discriminatedUnion('type', [SingleClientMessageSchema, BatchSchema]);

/** The parsed shape of {@link ConnectSchema}. */
export type ConnectMessage = z.infer<typeof ConnectSchema>;
/** The parsed shape of {@link SubscribeSchema}. */
export type SubscribeMessage = z.infer<typeof SubscribeSchema>;
/** The parsed shape of {@link UnsubscribeSchema}. */
export type UnsubscribeMessage = z.infer<typeof UnsubscribeSchema>;
/** The parsed shape of {@link PublishSchema}. */
export type PublishMessage = z.infer<typeof PublishSchema>;
/** The parsed shape of {@link SendSchema}. */
export type SendMessage = z.infer<typeof SendSchema>;
/** The parsed shape of {@link TypingSchema}. */
export type TypingMessage = z.infer<typeof TypingSchema>;
/** The parsed shape of {@link HistorySchema}. */
export type HistoryMessage = z.infer<typeof HistorySchema>;
/** The parsed shape of {@link PresenceSchema}. */
export type PresenceMessage = z.infer<typeof PresenceSchema>;
/** The parsed shape of {@link RefreshSchema}. */
export type RefreshMessage = z.infer<typeof RefreshSchema>;
/** The parsed shape of {@link PingSchema}. */
export type PingMessage = z.infer<typeof PingSchema>;
/** The parsed shape of {@link StatsSchema}. */
export type StatsMessage = z.infer<typeof StatsSchema>;
/** The parsed shape of {@link RpcSchema}. */
export type RpcMessage = z.infer<typeof RpcSchema>;
/** The parsed shape of {@link DeleteSchema}. */
export type DeleteMessage = z.infer<typeof DeleteSchema>;
/** The parsed shape of {@link BatchSchema}. */
export type BatchMessage = z.infer<typeof BatchSchema>;
/** Any client message except `batch`. */
export type SingleClientMessage = z.infer<typeof SingleClientMessageSchema>;
/** Any client -> server message. */
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
/** A position in a channel's stream. */
export type StreamPosition = z.infer<typeof StreamPositionSchema>;

/**
 * Schemas of the client messages by `type`. A `Map`, so a hostile `type` such as `__proto__` or `constructor`
 * never reaches a property lookup on a plain object (docs/security-cases.md AP-05).
 */
export const CLIENT_MESSAGE_SCHEMAS: ReadonlyMap<string, z.ZodType<SingleClientMessage>> = new Map<
  string,
  z.ZodType<SingleClientMessage>
>([
  ['connect', ConnectSchema],
  ['subscribe', SubscribeSchema],
  ['unsubscribe', UnsubscribeSchema],
  ['publish', PublishSchema],
  ['send', SendSchema],
  ['typing', TypingSchema],
  ['history', HistorySchema],
  ['presence', PresenceSchema],
  ['refresh', RefreshSchema],
  ['ping', PingSchema],
  ['stats', StatsSchema],
  ['rpc', RpcSchema],
  ['delete', DeleteSchema],
  ['doc', DocSchema],
]);

/** Every client message type, `batch` included. */
export const CLIENT_MESSAGE_TYPES: readonly string[] = [...CLIENT_MESSAGE_SCHEMAS.keys(), 'batch'];

// ---------------------------------------------------------------- server -> client (unknown keys ignored: forward compatible)

const re = RequestIdSchema.optional();

/** One stored or live publication. */
export const PublicationSchema = z.object({
  channel: ChannelSchema,
  epoch: EpochSchema,
  offset: OffsetSchema,
  data: DataSchema,
  time: TimeSchema,
  sender: z.string().max(Limits.MAX_USER_LENGTH).optional(),
  id: MessageIdSchema.optional(),
  /** The feed key given at publish, if any. */
  key: FeedKeySchema.optional(),
});
/** A deleted publication in history: its position and time stay (offsets are contiguous), its data is gone. */
export const TombstoneSchema = z.object({
  channel: ChannelSchema,
  epoch: EpochSchema,
  offset: OffsetSchema,
  time: TimeSchema,
  deleted: z.literal(true),
});
/** One item of history (`subscribed.publications`, a history reply): a publication, or a tombstone. */
export const HistoryItemSchema = z.union([TombstoneSchema, PublicationSchema]);
/** One user present in a channel, with the number of connections it holds there. */
export const PresenceUserSchema = z.object({
  user: z.string().max(Limits.MAX_USER_LENGTH),
  connections: z.int().min(1),
  info: DataSchema.optional(),
});

/** `connected`: the answer to `connect` (or sent unprompted when the handshake carried the token). */
export const ConnectedSchema = z.object({
  type: z.literal('connected'),
  re,
  client: z.string().min(1).max(Limits.MAX_ID_LENGTH),
  user: z.string().max(Limits.MAX_USER_LENGTH),
  expires: TimeSchema.optional(),
});
/** `subscribed`: the answer to `subscribe`, with the missed publications when `since` was given. */
export const SubscribedSchema = z.object({
  type: z.literal('subscribed'),
  re,
  channel: ChannelSchema,
  epoch: EpochSchema,
  offset: OffsetSchema,
  recovered: z.boolean(),
  publications: z.array(HistoryItemSchema),
  presence: z.array(PresenceUserSchema).optional(),
  /**
   * A namespace with `snapshot`, on a subscribe without `since`: the latest publication of the channel, or the latest
   * per feed key, ascending offset order. Their offsets need not be contiguous: they are state, not a stream.
   */
  snapshot: z.array(PublicationSchema).optional(),
  /** true in a namespace with `conflate`: live offsets may jump (replaced publications are skipped), never a gap. */
  conflated: z.boolean().optional(),
});
/** `unsubscribed`: the answer to `unsubscribe`, or the server ended a subscription (then `reason` says why). */
export const UnsubscribedSchema = z.object({
  type: z.literal('unsubscribed'),
  re,
  channel: ChannelSchema,
  code: z.string().max(64).optional(),
  reason: z.string().max(Limits.MAX_REASON_LENGTH).optional(),
});
/** How many publications of the channel a conflated connection skipped before this one (replaced by newer ones). */
const SkippedSchema = z.int().min(1).optional();
/** `publication`: a live message in a subscribed channel. */
export const PublicationMessageSchema = PublicationSchema.extend({
  type: z.literal('publication'),
  skipped: SkippedSchema,
});
/** One publication inside a `publications` batch: a `publication` message without its `type`. */
export const BatchedPublicationSchema = PublicationSchema.extend({ skipped: SkippedSchema });
/** `publications`: several live publications to one connection in one frame (a namespace with `batchPublications`), in order. */
export const PublicationsMessageSchema = z.object({
  type: z.literal('publications'),
  publications: z.array(BatchedPublicationSchema).min(1),
});
/** `join`: a user's first connection entered a channel. */
export const JoinSchema = z.object({
  type: z.literal('join'),
  channel: ChannelSchema,
  user: z.string().max(Limits.MAX_USER_LENGTH),
  info: DataSchema.optional(),
});
/** `leave`: a user's last connection left a channel. */
export const LeaveSchema = z.object({
  type: z.literal('leave'),
  channel: ChannelSchema,
  user: z.string().max(Limits.MAX_USER_LENGTH),
  info: DataSchema.optional(),
});
/** `typing`: someone started or stopped typing. */
export const TypingEventSchema = z.object({
  type: z.literal('typing'),
  channel: ChannelSchema,
  user: z.string().max(Limits.MAX_USER_LENGTH),
  on: z.boolean(),
});
/** `reply`: the successful answer to a request; the shape of `data` depends on the request (see the `*Reply` types). */
export const ReplySchema = z.object({ type: z.literal('reply'), re: RequestIdSchema, data: DataSchema.optional() });
/** `error`: a request failed (or a frame was rejected); `re` is present when the request id could be read. */
export const ErrorMessageSchema = z.object({
  type: z.literal('error'),
  code: z.string().min(1).max(64),
  message: z.string().max(Limits.MAX_REASON_LENGTH),
  re,
});
/** `disconnect`: the server is about to close the connection with `code`; `reconnect` says whether to come back. */
export const DisconnectSchema = z.object({
  type: z.literal('disconnect'),
  code: z.int().min(1000).max(4999),
  reason: z.string().max(Limits.MAX_REASON_LENGTH),
  reconnect: z.boolean(),
});

/** `deleted`: the publication at `offset` was deleted; history holds a tombstone there from now on. */
export const DeletedSchema = z.object({
  type: z.literal('deleted'),
  channel: ChannelSchema,
  epoch: EpochSchema,
  offset: OffsetSchema,
});

/**
 * Yjs bytes in a server -> client `doc` message: base64 as in {@link DocBytesSchema}, but bounded by the server frame
 * cap (`Limits.MAX_SERVER_MESSAGE_SIZE`), not the client's: the `sync2` that opens a document carries the whole
 * document, which may be far larger than one client frame.
 */
export const DocEventBytesSchema = z.string().max(Limits.MAX_SERVER_MESSAGE_SIZE).regex(BASE64_TEXT, 'Invalid base64');

/** `doc`: a Yjs sync or awareness message for a subscribed document (see {@link DocSchema}). */
export const DocEventSchema = z.object({
  type: z.literal('doc'),
  channel: ChannelSchema,
  kind: DocKindSchema,
  data: DocEventBytesSchema,
});

/** Any server -> client message. */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  ConnectedSchema,
  SubscribedSchema,
  UnsubscribedSchema,
  PublicationMessageSchema,
  JoinSchema,
  LeaveSchema,
  TypingEventSchema,
  ReplySchema,
  ErrorMessageSchema,
  DisconnectSchema,
  DeletedSchema,
  PublicationsMessageSchema,
  DocEventSchema,
]);

/** The parsed shape of {@link PublicationSchema}. */
export type Publication = z.infer<typeof PublicationSchema>;
/** The parsed shape of {@link TombstoneSchema}. */
export type Tombstone = z.infer<typeof TombstoneSchema>;
/** The parsed shape of {@link HistoryItemSchema}: a publication or a tombstone. */
export type HistoryItem = z.infer<typeof HistoryItemSchema>;
/** The parsed shape of {@link DeletedSchema}. */
export type DeletedMessage = z.infer<typeof DeletedSchema>;
/** The parsed shape of {@link PresenceUserSchema}. */
export type PresenceUser = z.infer<typeof PresenceUserSchema>;
/** The parsed shape of {@link ConnectedSchema}. */
export type ConnectedMessage = z.infer<typeof ConnectedSchema>;
/** The parsed shape of {@link SubscribedSchema}. */
export type SubscribedMessage = z.infer<typeof SubscribedSchema>;
/** The parsed shape of {@link UnsubscribedSchema}. */
export type UnsubscribedMessage = z.infer<typeof UnsubscribedSchema>;
/** The parsed shape of {@link PublicationMessageSchema}. */
export type PublicationMessage = z.infer<typeof PublicationMessageSchema>;
/** The parsed shape of {@link PublicationsMessageSchema}. */
export type PublicationsMessage = z.infer<typeof PublicationsMessageSchema>;
/** The parsed shape of {@link BatchedPublicationSchema}. */
export type BatchedPublication = z.infer<typeof BatchedPublicationSchema>;
/** The parsed shape of {@link JoinSchema}. */
export type JoinMessage = z.infer<typeof JoinSchema>;
/** The parsed shape of {@link LeaveSchema}. */
export type LeaveMessage = z.infer<typeof LeaveSchema>;
/** The parsed shape of {@link TypingEventSchema}. */
export type TypingEventMessage = z.infer<typeof TypingEventSchema>;
/** The parsed shape of {@link ReplySchema}. */
export type ReplyMessage = z.infer<typeof ReplySchema>;
/** The parsed shape of {@link ErrorMessageSchema}. */
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
/** The parsed shape of {@link DisconnectSchema}. */
export type DisconnectMessage = z.infer<typeof DisconnectSchema>;
/** Any server -> client message. */
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
/** The parsed shape of {@link DocSchema} (client -> server). */
export type DocMessage = z.infer<typeof DocSchema>;
/** The parsed shape of {@link DocEventSchema} (server -> client). */
export type DocEventMessage = z.infer<typeof DocEventSchema>;
/** One of {@link DocKindSchema}. */
export type DocKind = z.infer<typeof DocKindSchema>;

/** Schemas of the server messages by `type` (a `Map`, for the same reason as {@link CLIENT_MESSAGE_SCHEMAS}). */
export const SERVER_MESSAGE_SCHEMAS: ReadonlyMap<string, z.ZodType<ServerMessage>> = new Map<
  string,
  z.ZodType<ServerMessage>
>([
  ['connected', ConnectedSchema],
  ['subscribed', SubscribedSchema],
  ['unsubscribed', UnsubscribedSchema],
  ['publication', PublicationMessageSchema],
  ['join', JoinSchema],
  ['leave', LeaveSchema],
  ['typing', TypingEventSchema],
  ['reply', ReplySchema],
  ['error', ErrorMessageSchema],
  ['disconnect', DisconnectSchema],
  ['deleted', DeletedSchema],
  ['publications', PublicationsMessageSchema],
  ['doc', DocEventSchema],
]);

// ---------------------------------------------------------------- `reply.data` per request

/** `reply.data` for `publish`: where the publication landed; `duplicate` when `id` was already seen. */
export interface PublishReply {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly duplicate: boolean;
}
/** `reply.data` for `send`: the personal channel position, as for publish. */
export type SendReply = PublishReply;
/** `reply.data` for `history`: publications (and tombstones) in ascending offset order; `recovered` only with `since`. */
export interface HistoryReply {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly publications: readonly HistoryItem[];
  readonly recovered?: boolean;
}
/** `reply.data` for `presence`. */
export interface PresenceReply {
  readonly channel: string;
  readonly users: readonly PresenceUser[];
}
/** `reply.data` for `delete`: the tombstone's position; `alreadyDeleted` when it was a tombstone before. */
export interface DeleteReply {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly alreadyDeleted: boolean;
}
/** `reply.data` for `ping`: the server's clock. */
export interface PingReply {
  readonly time: number;
}
/** `reply.data` for `refresh`: the new expiry (ms since the Unix epoch), if the token has one. */
export interface RefreshReply {
  readonly expires?: number;
}
/** `reply.data` for `typing`, `unsubscribe`-less acks and similar: empty. */
export type EmptyReply = Record<string, never>;
