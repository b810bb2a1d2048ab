// Client SDK (Node-free): one logical session over many connections. The Client is the application's face; the parts
// live in their own modules: connection lifecycle (connection.ts), request / reply (requests.ts), liveness
// (liveness.ts), token refresh (token-refresh.ts), subscriptions (subscription-registry.ts), publishing (publisher.ts),
// their assembly and wiring (client-parts.ts), inbound frames (inbound.ts), document channels (document-channel.ts),
// message ids (message-ids.ts), requests and fire-and-forget sends on the live connection (live-calls.ts). What stays
// is the public API and its TSDoc.
import {
  RfcCloseCode,
  type ConnectedMessage,
  type DeleteReply,
  type HistoryReply,
  type JsonValue,
  type PingReply,
  type PresenceReply,
  type PublishReply,
  type RefreshReply,
  type ServerMessage,
  type StreamPosition,
  type SubscribedMessage,
} from '../messages/core.ts';
import type { BreakerState } from './breaker.ts';
import type { ClientEvents, ClientOptions, ClientState, ClientStats } from './client-options.ts';
import { createClientParts } from './client-parts.ts';
import type { ConnectionLifecycle } from './connection.ts';
import { DocumentChannels, type DocumentChannel, type DocumentMessage } from './document-channel.ts';
import { Emitter } from './emitter.ts';
import { ClientError } from './errors.ts';
import { Inbound } from './inbound.ts';
import { LiveCalls } from './live-calls.ts';
import { QuietIds, defaultMessageId } from './message-ids.ts';
import type { Liveness } from './liveness.ts';
import type { OutboxEntry } from './outbox.ts';
import type { Publisher } from './publisher.ts';
import type { Request } from './requests.ts';
import type { SubscriptionRegistry } from './subscription-registry.ts';
import type { SubscriptionOptions } from './subscription-events.ts';
import type { Subscription } from './subscription.ts';
import type { TimerSet } from './timers.ts';
import type { TransportChooser } from './transport-chooser.ts';
import type { TransportKind } from './transport.ts';
import { watchOnline } from './online.ts';
import type { TokenRefresher } from './token-refresh.ts';

export type {
  ClientEvents,
  ClientOptions,
  ClientState,
  ClientStats,
  ReconnectOptions,
  StateChange,
} from './client-options.ts';

/**
 * A Switchboard client: one logical session that outlives its connections. It reconnects with jittered backoff,
 * resubscribes from the last offset, drops duplicates, reports gaps, acknowledges publishes and retries them with the
 * same id, and holds them in an (optionally persisted) outbox while offline.
 *
 * @example
 * ```ts
 * const client = new Client({ url: 'wss://chat.example.com/ws', transport: (u, p) => new WebSocket(u, p), getToken });
 * client.on('statechange', (s) => console.log(s.state, s.reason));
 * const room = client.subscription('chat:general', { presence: true });
 * room.on('publication', (p) => console.log(p.data));
 * room.on('gap', () => reloadRoom());
 * client.connect();
 * await room.subscribe();
 * await client.publish('chat:general', { text: 'hello' }); // resolves on the server's ack
 * ```
 */
export class Client extends Emitter<ClientEvents> {
  readonly #options: ClientOptions;
  readonly #timers: TimerSet;
  readonly #connection: ConnectionLifecycle;
  readonly #chooser: TransportChooser;
  readonly #liveness: Liveness;
  readonly #refresher: TokenRefresher | null;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #calls: LiveCalls;
  readonly #publisher: Publisher;
  /** Removes the `online` listener (browsers), once connect() added it. */
  #stopWatchingOnline: (() => void) | null = null;
  /** Ids of this client's recent `echo: false` publishes. */
  readonly #quietIds = new QuietIds();
  readonly #stats: ClientStats = { delivered: 0, duplicates: 0, gaps: 0, connections: 0, acked: 0, resent: 0 };
  /** The `doc` message handler of each channel a document provider opened. */
  readonly #documents = new DocumentChannels();
  #inbound: Inbound | null = null;

  /** @param options URL, transport, credentials, timings, outbox and breaker. */
  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    const client = this;
    const parts = createClientParts(options, {
      emit: (event, payload) => this.emit(event, payload),
      request: (message, o) => this.request(message, o),
      get requestTimeoutMs() {
        return client.#calls.requestTimeoutMs;
      },
      frame: (data) => this.#inbound?.frame(data),
      stats: this.#stats,
      quiet: (id) => this.#quietIds.has(id),
      closed: () => {
        this.#stopWatchingOnline?.();
        this.#stopWatchingOnline = null;
      },
      newMessageId: () => (options.newMessageId ?? defaultMessageId)(),
    });
    this.#timers = parts.timers;
    this.#connection = parts.connection;
    this.#chooser = parts.chooser;
    this.#liveness = parts.liveness;
    this.#refresher = parts.refresher;
    this.#subscriptions = parts.subscriptions;
    this.#publisher = parts.publisher;
    this.#calls = new LiveCalls(parts, options);
    this.#inbound = new Inbound(parts, {
      documents: this.#documents,
      emit: (event, payload) => this.emit(event, payload),
    });
  }

  /** The connection state. */
  get state(): ClientState {
    return this.#connection.state;
  }

  /** The transport in use (`websocket`, `sse` or `polling`), or the one the next attempt uses. */
  get transport(): TransportKind {
    return this.#connection.transport;
  }

  /** The `connected` answer of the current connection (user id, client id, expiry), or null. */
  get session(): ConnectedMessage | null {
    return this.#connection.session;
  }

  /** The circuit breaker's state (`closed` when there is none). */
  get breakerState(): BreakerState {
    return this.#publisher.breakerState;
  }

  /** Delivery figures (a copy). */
  get metrics(): ClientStats {
    return { ...this.#stats };
  }

  /** Messages waiting in the outbox (unacknowledged, oldest first). */
  get outbox(): readonly OutboxEntry[] {
    return this.#publisher.entries();
  }

  /** Resolves once the outbox as it is now is written to its store. */
  outboxPersisted(): Promise<void> {
    return this.#publisher.flushed();
  }

  /** Last position delivered per channel (a copy). */
  get positions(): ReadonlyMap<string, StreamPosition> {
    return new Map(this.#subscriptions.positions);
  }

  /**
   * Sets the position a later subscribe recovers from (for example one saved before a reload).
   * @param channel Channel name.
   * @param position The last publication processed.
   */
  setPosition(channel: string, position: StreamPosition): void {
    this.#subscriptions.positions.set(channel, { epoch: position.epoch, offset: position.offset });
  }

  /**
   * Starts the session: connects, and from then on reconnects by itself until {@link close}.
   * @returns The first `connected` message.
   * @throws {ClientError} When the client closes before connecting (authentication refused: `unauthorized`, `token_expired`; or `closed`).
   */
  connect(): Promise<ConnectedMessage> {
    const connected = this.#connection.connect();
    // In browsers, a network that comes back ends the backoff wait (removed when the client closes).
    if (this.#connection.state !== 'closed')
      this.#stopWatchingOnline ??= watchOnline(() => this.#connection.reconnectNow('online'));
    return connected;
  }

  /**
   * Reconnects now instead of at the end of the backoff wait, when `disconnected` (e.g. the application knows the
   * network is back); a no-op in any other state. The attempt's `statechange` reason is `reconnect_now`. Browsers do
   * this by themselves on the window's `online` event (reason `online`).
   */
  reconnectNow(): void {
    this.#connection.reconnectNow('reconnect_now');
  }

  /**
   * Waits for the client to be connected.
   * @returns The current or next `connected` message.
   * @throws {ClientError} When the client closes first.
   */
  ready(): Promise<ConnectedMessage> {
    return this.#connection.ready();
  }

  /**
   * Ends the session for good: stops reconnecting, closes the connection, fails pending requests and unacknowledged
   * publishes with `closed` (a persisted outbox keeps them for the next client).
   * @param code Close code. @default 1000
   * @param reason Close reason. @default ''
   */
  close(code: number = RfcCloseCode.NORMAL, reason = ''): void {
    this.#connection.close(code, reason);
  }

  /**
   * Sends a request with a fresh `rid` and waits for the answer that carries it as `re`.
   * @param message Any client message without `rid`.
   * @param options `timeoutMs` overrides `requestTimeoutMs`.
   * @returns The answer (`reply`, `subscribed`, `unsubscribed`, `connected`).
   * @throws {ClientError} The server's `error` code, `timeout`, or `closed` (not connected).
   */
  request(message: Request, options: { readonly timeoutMs?: number } = {}): Promise<ServerMessage> {
    return this.#calls.request(message, options);
  }

  /**
   * Reads retained publications, oldest first.
   * @param channel Channel name.
   * @param options `limit`, `since`, `before` as in docs/protocol.md §5.
   */
  async history(
    channel: string,
    options: { readonly limit?: number; readonly since?: StreamPosition; readonly before?: number } = {},
  ): Promise<HistoryReply> {
    return (await this.#calls.reply({ type: 'history', channel, ...options })) as unknown as HistoryReply;
  }

  /** @param channel Channel name. @returns Who is in the channel. */
  async presence(channel: string): Promise<PresenceReply> {
    return (await this.#calls.reply({ type: 'presence', channel })) as unknown as PresenceReply;
  }

  /** @param token A new token for the same user. @returns The new expiry. */
  async refresh(token: string): Promise<RefreshReply> {
    const reply = (await this.#calls.reply({ type: 'refresh', token })) as unknown as RefreshReply;
    // The HTTP transports send the session's token with every request: from now on the new one.
    this.#chooser.token = token;
    return reply;
  }

  /**
   * Deletes a publication (docs/protocol.md, "delete"): it becomes a tombstone in history and every subscriber gets a
   * `deleted` event. Allowed for one's own publications, and for anyone's with a role granted `delete` (moderators).
   * @param channel Channel name.
   * @param offset The publication's offset.
   * @param options `epoch`: only in this epoch (the offset of another epoch names another publication).
   * @returns Where the tombstone is; `alreadyDeleted` when it was deleted before.
   * @throws {ClientError} `not_found` (never published, expired or trimmed), `forbidden`, or another refusal code.
   */
  async deletePublication(
    channel: string,
    offset: number,
    options: { readonly epoch?: string } = {},
  ): Promise<DeleteReply> {
    return (await this.#calls.reply({
      type: 'delete',
      channel,
      offset,
      ...(options.epoch === undefined ? {} : { epoch: options.epoch }),
    })) as unknown as DeleteReply;
  }

  /** @returns The server's clock. */
  async ping(): Promise<PingReply> {
    return (await this.#calls.reply({ type: 'ping' })) as unknown as PingReply;
  }

  /** @returns Server statistics (connections, channels, uptime). */
  async stats(): Promise<JsonValue> {
    return (await this.#calls.reply({ type: 'stats' })) ?? null;
  }

  /**
   * Calls a method of the server's application logic (docs/server-logic.md). RPC needs a live connection: a call is
   * never queued in the offline outbox (its answer is wanted now, and a retried call could act twice), so while not
   * connected it rejects at once with `closed`; await `ready()` first when the client may still be connecting.
   * @param method 1-64 of `A-Z a-z 0-9 _ . : -` (else `invalid_message`, nothing sent).
   * @param data Any JSON value (the handler sees null when omitted).
   * @param options `timeoutMs` overrides `requestTimeoutMs`.
   * @returns The reply's data (undefined when the method answered nothing).
   * @throws {ClientError} The server's code (`not_found`, `forbidden`, `internal`, the logic's refusal code...),
   *   `timeout` when no answer came in time, `closed` when not connected, `invalid_message` for a bad method name.
   */
  async rpc(
    method: string,
    data?: JsonValue,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<JsonValue | undefined> {
    return this.#calls.rpc(method, data, options);
  }

  /**
   * Tells a channel that this user is (or stopped) typing. Fire and forget: dropped while offline, throttled by the server.
   * @param channel A subscribed channel.
   * @param on true when typing started.
   */
  typing(channel: string, on: boolean): void {
    this.#calls.sendNow({ type: 'typing', channel, on });
  }

  /**
   * The subscription object of a channel (created on first use, not yet subscribed).
   * @param channel Channel name.
   * @param options Presence and starting position (used when created).
   */
  subscription(channel: string, options: SubscriptionOptions = {}): Subscription {
    return this.#subscriptions.subscription(channel, options);
  }

  /**
   * Subscribes to a channel and keeps the subscription across reconnects (resubscribing with `since`). While offline
   * it waits for the connection. Recovered publications are emitted before it resolves.
   * @param channel Channel name.
   * @param options `presence`; `since` to override the stored position (null: do not recover).
   * @returns The `subscribed` message.
   * @throws {ClientError} The server's refusal (`forbidden`, `not_found`, …) or `closed`.
   */
  subscribe(channel: string, options: SubscriptionOptions = {}): Promise<SubscribedMessage> {
    return this.#subscriptions.subscribe(channel, options);
  }

  /**
   * Unsubscribes and forgets the subscription (its position is kept for a later recovery). Succeeds offline.
   * @param channel Channel name.
   */
  unsubscribe(channel: string): Promise<void> {
    return this.#subscriptions.unsubscribe(channel);
  }

  /**
   * Publishes into a channel. Resolves on the server's ack; while offline the message waits in the outbox and is sent,
   * in order, after the reconnect. Retries (after `ackTimeoutMs` or a lost connection) carry the same id.
   * @param channel Channel name.
   * @param data Any JSON value.
   * @param options `id`: the client message id; `timeoutMs`: give up (reject `timeout`, remove from the outbox) after
   *   this long; `echo: false`: this connection does not receive the publication back live (other connections of the
   *   same user do; a recovery from history after a reconnect may include it, recognisable by its `id`); `key`: the
   *   feed key (a symbol, a sensor id: printable ASCII) that snapshots and conflation keep the newest of.
   * @returns Where the publication landed, and whether the server had already stored it (`duplicate`).
   * @throws {ClientError} `outbox_full`, `circuit_open`, `closed`, `timeout`, `dropped`, or the server's refusal code.
   */
  publish(
    channel: string,
    data: JsonValue,
    options: { readonly id?: string; readonly timeoutMs?: number; readonly echo?: boolean; readonly key?: string } = {},
  ): Promise<PublishReply> {
    if (this.state === 'closed')
      return Promise.reject(new ClientError('closed', 'Cannot publish: the client is closed'));
    if (options.echo !== false) return this.#publisher.enqueue('publish', channel, data, options);
    // Remembered so that a gap fill or a recovery from history does not deliver it after all.
    const id = options.id ?? (this.#options.newMessageId ?? defaultMessageId)();
    this.#quietIds.add(id);
    return this.#publisher.enqueue('publish', channel, data, { ...options, id });
  }

  /**
   * Sends a private message to every connection of `user` subscribed to its personal channel, through the outbox like {@link publish}.
   * @param user Recipient user id.
   * @param data Any JSON value.
   * @param options As for {@link publish}.
   */
  send(
    user: string,
    data: JsonValue,
    options: { readonly id?: string; readonly timeoutMs?: number } = {},
  ): Promise<PublishReply> {
    return this.state === 'closed'
      ? Promise.reject(new ClientError('closed', 'Cannot send: the client is closed'))
      : this.#publisher.enqueue('send', user, data, options);
  }

  /**
   * The hook a document provider (`switchboard/documents`) rides on: routes the `doc` messages of `channel` to
   * `handler` and sends the channel's own. Subscribing is the provider's business (with {@link subscription}), so
   * reconnects, resubscribes and token refresh are the client's as for any channel.
   * @param channel A document channel (in a namespace with `document` set).
   * @param handler Called with each `doc` message the server sends for the channel.
   * @returns The sender; `close()` it when done.
   * @throws {ClientError} `invalid_message` when the channel already has a handler (one provider per document and client).
   */
  documentChannel(channel: string, handler: (message: DocumentMessage) => void): DocumentChannel {
    return this.#documents.open(channel, handler, (kind, data, more = false) =>
      this.#calls.sendDocument(channel, kind, data, more),
    );
  }
}
