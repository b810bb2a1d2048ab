// Realtime: namespace configuration and channel names. Pure data and parsing; no I/O.
import type { SlowConsumerPolicy } from '../engine/index.ts';
import { isValidChannelName } from '../messages/index.ts';
import { compilePayloadSchema, type PayloadSchema, type PayloadValidator } from './payload-schema.ts';

/**
 * Operations a client can attempt on a channel, the one list roles and namespace role requirements name;
 * `send` is a private message into a personal channel; `delete` turns anyone's publication into a tombstone
 * (moderation: an author deletes their own without it, see `operations/delete.ts`).
 */
export const OPERATIONS = ['subscribe', 'publish', 'history', 'presence', 'typing', 'send', 'delete'] as const;
/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/**
 * The namespace of personal channels: `user:<userId>` reaches every connection of that user, and only that user
 * may subscribe to it (or read its history or presence). Others reach it with the `send` operation, never `publish`.
 */
export const PERSONAL_NAMESPACE = 'user';

/**
 * Whether a string names an operation.
 * @param name Any string (a configuration key, a role grant).
 */
export function isOperation(name: string): name is Operation {
  return (OPERATIONS as readonly string[]).includes(name);
}

/** Role names: what a token's roles claim may hold. */
export const ROLE_NAME = /^[A-Za-z0-9_\-.:]{1,64}$/;
/** Namespace names: the channel-name rule's namespace part. */
export const NAMESPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Roles required per operation: a client needs at least one of the listed roles. An operation not listed
 * needs only the global permission for it (see `permissions.ts`).
 */
export type NamespaceRoles = { readonly [K in Operation]?: readonly string[] | undefined };

/**
 * Configuration of one namespace with defaults applied. The user-facing schema (zod, with error messages that
 * name the field) is `NamespaceConfigSchema` in `src/cli/config.ts`; the realtime layer takes no zod dependency.
 */
export interface NamespaceConfig {
  /** Publications kept per channel. 0 turns history (and recovery) off. @default 100 - the chat seed's "last 100 per room" */
  readonly historySize: number;
  /** How long publications are kept, in milliseconds. @default 86400000 - one day, enough to recover from any reconnect */
  readonly historyTtlMs: number;
  /** Publications sent on a fresh subscribe (without `since`). @default 20 - the chat seed's "send the last 20 on join" */
  readonly recoverOnJoin: number;
  /** Whether presence (who is here) is kept. @default true */
  readonly presence: boolean;
  /** Whether join and leave events are broadcast. @default true */
  readonly joinLeave: boolean;
  /** Whether clients may publish at all (server publishes through the HTTP API always may). @default true */
  readonly allowClientPublish: boolean;
  /** Whether typing indicators are relayed. @default true */
  readonly typing: boolean;
  /** Roles required per operation. @default {} - the global role permissions decide */
  readonly roles: NamespaceRoles;
  /**
   * What a slow reader costs: its messages dropped, its connection closed, or the sender waits.
   * @default 'close' - a stalled reader is disconnected (4010) and recovers from history on reconnect, losing nothing */
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /**
   * Whether each stored publication is emitted as a `publication` event of `RealtimeServer#events` (webhooks).
   * @default false - publications are the hot path and their payloads can be large: a namespace opts in
   */
  readonly webhookPublications: boolean;
  /**
   * JSON Schema every client `publish` and `send` payload (and HTTP API publish) must match, checked after the size
   * and depth limits; compiled once when the namespaces are built.
   * @default null - any JSON value within the limits: the server cannot guess an application's payloads
   */
  readonly payloadSchema: PayloadSchema | null;
  /**
   * Whether a client must be subscribed to a channel to publish into it (`not_subscribed` otherwise).
   * @default false - a server-side feeder or a "post without reading" form publishes without subscribing
   */
  readonly publishRequiresSubscription: boolean;
  /**
   * Whether a subscribe without `since` (or whose recovery failed) gets `subscribed.snapshot`: the latest publication
   * of the channel, or the latest per feed key when publications carry one (docs/feeds.md "Feed semantics").
   * @default false - keeping the latest per key costs a store write per publish: a feed namespace opts in
   */
  readonly snapshot: boolean;
  /**
   * Most feed keys per channel kept for the snapshot (the least recently published forgotten first), and most keys a
   * conflating connection holds per channel.
   * @default 1000 - a market screen or a sensor wall, while a flood of made-up keys stays bounded
   */
  readonly snapshotMaxKeys: number;
  /**
   * Whether a connection behind on its socket (above `slowConsumerBytes` buffered) keeps only the newest publication
   * per key instead of the slow-consumer policy, and gets them when it drains (the first with `skipped`).
   * @default false - conflation loses intermediate values: right for prices, wrong for chat
   */
  readonly conflate: boolean;
  /**
   * Whether publications to one connection are sent in `publications` frames (several per frame).
   * @default false - a frame per publication keeps latency lowest at low rates, and older clients understand it
   */
  readonly batchPublications: boolean;
  /**
   * How long the first publication of a batch may wait, in milliseconds; 0 sends at the end of the event-loop turn.
   * @default 0 - batches what arrives together without adding latency
   */
  readonly batchMaxDelayMs: number;
  /** Most publications in one batch frame. @default 64 - frames stay small enough to interleave with other traffic */
  readonly batchMaxCount: number;
  /**
   * Whether the namespace's channels are collaborative documents (Yjs, docs/documents.md): `doc` messages sync them,
   * `subscribe` opens one (reading), `publish` permission lets its holder change it (writing).
   * @default false - channels carry publications
   */
  readonly document: boolean;
  /**
   * Largest stored size of one document (compacted snapshot plus updates since), in bytes; an update that would pass
   * it is refused with `document_too_large`.
   * @default 4194304 (4 MiB) - a long text with its edit history; bounds server memory per open document
   */
  readonly documentMaxBytes: number;
  /**
   * Largest decoded document update (`update` or `sync2`) or awareness update from a client, in bytes; larger ones
   * are refused with `message_too_large`.
   * @default 32768 (32 KiB) - a large paste; its base64 (4/3 of it) still fits the default 64 KiB frame
   */
  readonly documentUpdateMaxBytes: number;
  /**
   * Document updates (`update`, `sync2`) per second per connection and document (bursts of twice as many); over it
   * `rate_limited`.
   * @default 30 - one per keystroke of a fast typist, with room; a script flooding updates is stopped
   */
  readonly documentUpdatesPerSecond: number;
  /**
   * Awareness updates per second per connection and document (bursts of twice as many); over it `rate_limited`.
   * @default 20 - a cursor update per keystroke or selection change; floods are stopped
   */
  readonly awarenessUpdatesPerSecond: number;
  /**
   * Documents one connection may have open in this namespace; over it `too_many_documents`.
   * @default 16 - an editor has one or a few documents open; each costs the server a loaded document
   */
  readonly documentsPerConnection: number;
  /**
   * How long a document without any local subscriber stays loaded before it is unloaded (memory returns), in ms.
   * @default 30000 - a reload or a reconnect finds it warm; an abandoned document stops costing memory soon
   */
  readonly documentIdleUnloadMs: number;
  /**
   * A loaded document keeps its content encoded (Yjs updates, no Y.Doc): typing appends to it, and only an update
   * past a gap or overlapping the content wakes a Y.Doc (docs/documents.md "Encoded and awake"). This is how long,
   * in ms, after the last update that needed the Y.Doc an awake document is encoded again (garbage-collected, a
   * fraction of the memory), and after its last update a typed-in encoded document is compacted into one update;
   * each 1 to 2 times this (one timer per document, not one per update), peers connected or not. 0: a document is a
   * Y.Doc from the start and stays one.
   * @default 3000 - a few seconds of quiet: a pause in typing does not trigger either, and most of the documents a
   *   server holds (open in a tab nobody types in) cost their compacted encoded size
   */
  readonly documentHibernateMs: number;
  /**
   * Stored updates after which a node compacts the document (one snapshot replaces them).
   * @default 500 - a late joiner loads one snapshot and a short tail, not the whole history
   */
  readonly documentCompactUpdates: number;
  /**
   * Stored bytes of updates after which a node compacts the document.
   * @default 1048576 (1 MiB) - many small updates carry more overhead than one snapshot of the same text
   */
  readonly documentCompactBytes: number;
  /**
   * How long a busy document holds its fan-out to gather updates, in ms: an update that follows the previous fan-out
   * of the document within this time waits until the time is up and leaves with every update gathered meanwhile, one
   * write per connection for all of them instead of one each. The first update after a quiet spell leaves at once.
   * 0: every update leaves at once. `auto`: a document with at least 8 peers on this node gathers over one
   * event-loop turn (the messages read from every connection ready at once) and sends at the end of it; with fewer,
   * every update leaves at once.
   * @default 'auto' - many editors on one document spend most of the server's CPU in one `write` per connection and
   *   update; gathering what one turn read divides them at no added wait beyond the turn (bench/RESULTS.md §
   *   documents)
   */
  readonly documentFanoutBatchMs: number | 'auto';
}

/** A namespace's configuration as written: every field optional. */
export type NamespaceConfigInput = Partial<NamespaceConfig>;

/** The defaults of {@link NamespaceConfig}. */
export const NAMESPACE_DEFAULTS: NamespaceConfig = Object.freeze({
  historySize: 100,
  historyTtlMs: 86_400_000,
  recoverOnJoin: 20,
  presence: true,
  joinLeave: true,
  allowClientPublish: true,
  typing: true,
  roles: Object.freeze({}),
  slowConsumerPolicy: 'close',
  webhookPublications: false,
  payloadSchema: null,
  publishRequiresSubscription: false,
  snapshot: false,
  snapshotMaxKeys: 1000,
  conflate: false,
  batchPublications: false,
  batchMaxDelayMs: 0,
  batchMaxCount: 64,
  document: false,
  documentMaxBytes: 4_194_304,
  documentUpdateMaxBytes: 32_768,
  documentUpdatesPerSecond: 30,
  awarenessUpdatesPerSecond: 20,
  documentsPerConnection: 16,
  documentIdleUnloadMs: 30_000,
  documentHibernateMs: 3_000,
  documentCompactUpdates: 500,
  documentCompactBytes: 1_048_576,
  documentFanoutBatchMs: 'auto',
});

/**
 * Defaults of the personal namespace when the configuration does not name it: history for offline catch-up,
 * no presence, typing or join/leave (a personal channel is a mailbox, not a room).
 */
export const PERSONAL_NAMESPACE_DEFAULTS: NamespaceConfig = Object.freeze({
  ...NAMESPACE_DEFAULTS,
  presence: false,
  joinLeave: false,
  typing: false,
});

/** The document limits: positive integers (the {@link ZERO_ALLOWED} ones may be 0). */
const DOCUMENT_LIMIT_KEYS = [
  'documentMaxBytes',
  'documentUpdateMaxBytes',
  'documentUpdatesPerSecond',
  'awarenessUpdatesPerSecond',
  'documentsPerConnection',
  'documentIdleUnloadMs',
  'documentHibernateMs',
  'documentCompactUpdates',
  'documentCompactBytes',
] as const;

/** The document limits that may be 0 (0: unload at once, never hibernate). */
const ZERO_ALLOWED: ReadonlySet<string> = new Set(['documentIdleUnloadMs', 'documentHibernateMs']);

function checkInt(where: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`Cannot use ${where} "${value}": expected an integer >= ${min}`);
}

/**
 * Applies defaults to one namespace's configuration and checks its invariants.
 * @param name the namespace name (for messages)
 * @param input the configuration as written
 * @returns the complete configuration
 * @throws RangeError naming the bad field (`chat.historySize`)
 */
export function resolveNamespaceConfig(name: string, input: NamespaceConfigInput): NamespaceConfig {
  if (!NAMESPACE_NAME.test(name))
    throw new RangeError(`Cannot use namespace "${name}": expected 1-64 of A-Z a-z 0-9 _ -`);
  const config: NamespaceConfig = { ...NAMESPACE_DEFAULTS, ...input, roles: { ...input.roles } };
  checkInt(`${name}.historySize`, config.historySize, 0);
  checkInt(`${name}.historyTtlMs`, config.historyTtlMs, 1);
  checkInt(`${name}.recoverOnJoin`, config.recoverOnJoin, 0);
  checkInt(`${name}.snapshotMaxKeys`, config.snapshotMaxKeys, 1);
  checkInt(`${name}.batchMaxDelayMs`, config.batchMaxDelayMs, 0);
  checkInt(`${name}.batchMaxCount`, config.batchMaxCount, 1);
  for (const key of DOCUMENT_LIMIT_KEYS) checkInt(`${name}.${key}`, config[key], ZERO_ALLOWED.has(key) ? 0 : 1);
  const batch = config.documentFanoutBatchMs;
  if (batch !== 'auto' && !(Number.isInteger(batch) && batch >= 0))
    throw new RangeError(`Cannot use ${name}.documentFanoutBatchMs "${batch}": expected an integer >= 0, or auto`);
  if (config.recoverOnJoin > config.historySize && config.historySize > 0) {
    throw new RangeError(`Cannot use ${name}.recoverOnJoin "${config.recoverOnJoin}": it exceeds historySize`);
  }
  for (const [op, roles] of Object.entries(config.roles)) {
    if (!isOperation(op)) throw new RangeError(`Cannot use ${name}.roles.${op}: not an operation`);
    for (const role of roles ?? []) {
      if (!ROLE_NAME.test(role)) throw new RangeError(`Cannot use ${name}.roles.${op} role "${role}"`);
    }
  }
  return Object.freeze(config);
}

/**
 * The broker's "keep the latest per key" publish option of a namespace: only a snapshot namespace pays for it.
 * @param config The namespace's configuration.
 * @returns `latestMaxKeys` for `Broker#publish`, or nothing.
 */
export function latestOptions(config: NamespaceConfig): { readonly latestMaxKeys?: number } {
  return config.snapshot ? { latestMaxKeys: config.snapshotMaxKeys } : {};
}

/** A channel name split and resolved against the configuration. */
export interface ResolvedChannel {
  readonly channel: string;
  readonly namespace: string;
  /** The part after the first `:` (it may itself contain `:`). */
  readonly name: string;
  readonly config: NamespaceConfig;
  /** For `user:<id>`: the user who owns it; null for every other channel. */
  readonly owner: string | null;
  /** The namespace's compiled payload schema, or null when it has none. */
  readonly validatePayload: PayloadValidator | null;
}

/** Why a channel did not resolve; each maps to a protocol `ErrorCode`. */
export type ResolveFailure = {
  readonly ok: false;
  readonly code: 'invalid_message' | 'not_found';
  readonly reason: 'invalid_channel' | 'unknown_namespace';
};

/**
 * Splits `namespace:name`.
 * @param channel any value
 * @returns the parts, or null when the value breaks the channel-name rule of `src/messages` (AP-09)
 */
export function parseChannel(channel: unknown): { readonly namespace: string; readonly name: string } | null {
  if (!isValidChannelName(channel)) return null;
  const colon = channel.indexOf(':');
  return { namespace: channel.slice(0, colon), name: channel.slice(colon + 1) };
}

/**
 * The personal channel of a user.
 * @param user a user id
 * @returns `user:<user>`, or null when the id cannot form a valid channel name
 */
export function personalChannel(user: string): string | null {
  const channel = `${PERSONAL_NAMESPACE}:${user}`;
  return isValidChannelName(channel) ? channel : null;
}

/** The configured namespaces; built by {@link createNamespaces}. */
export class Namespaces {
  readonly #byName: ReadonlyMap<string, NamespaceConfig>;
  /** Compiled payload schemas by namespace, built once here (never per publish). */
  readonly #validators = new Map<string, PayloadValidator>();

  /**
   * @param configs validated configurations by name (the personal namespace is added with its defaults if absent)
   * @throws RangeError naming the namespace when a payload schema does not compile
   */
  constructor(configs: Readonly<Record<string, NamespaceConfig>>) {
    const map = new Map(Object.entries(configs));
    if (!map.has(PERSONAL_NAMESPACE)) map.set(PERSONAL_NAMESPACE, PERSONAL_NAMESPACE_DEFAULTS);
    this.#byName = map;
    for (const [name, config] of map) {
      const schema = config.payloadSchema ?? null;
      if (schema !== null) this.#validators.set(name, compilePayloadSchema(name, schema));
    }
  }

  /**
   * @param namespace a namespace name
   * @returns its configuration, or undefined
   */
  get(namespace: string): NamespaceConfig | undefined {
    return this.#byName.get(namespace);
  }

  /** Names of every namespace, the personal one included. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /**
   * Parses a channel name and finds its namespace.
   * @param channel any value from a client
   * @returns the resolved channel, or a failure with the protocol error code to answer with
   */
  resolve(channel: unknown): ({ readonly ok: true } & ResolvedChannel) | ResolveFailure {
    const parts = parseChannel(channel);
    if (parts === null) return { ok: false, code: 'invalid_message', reason: 'invalid_channel' };
    const config = this.#byName.get(parts.namespace);
    if (config === undefined) return { ok: false, code: 'not_found', reason: 'unknown_namespace' };
    return {
      ok: true,
      channel: channel as string,
      namespace: parts.namespace,
      name: parts.name,
      config,
      owner: parts.namespace === PERSONAL_NAMESPACE ? parts.name : null,
      validatePayload: this.#validators.get(parts.namespace) ?? null,
    };
  }
}

/**
 * Applies defaults to every namespace and builds the registry.
 * @param input namespace configurations by name, as written in a config file
 * @returns the registry
 * @throws RangeError naming the bad field when the configuration is invalid
 * @example
 * ```ts
 * const namespaces = createNamespaces({ chat: { historySize: 100 }, feed: { allowClientPublish: false } });
 * namespaces.resolve('chat:lobby'); // { ok: true, namespace: 'chat', name: 'lobby', config: {...}, owner: null }
 * ```
 */
export function createNamespaces(input: Readonly<Record<string, NamespaceConfigInput>>): Namespaces {
  return new Namespaces(
    Object.fromEntries(Object.entries(input).map(([name, ns]) => [name, resolveNamespaceConfig(name, ns)])),
  );
}
