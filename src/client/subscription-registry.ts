// Client SDK (Node-free): the subscriptions of one client: creation, (re)subscribe with recovery and retry, and the
// routing of channel messages to them.
import type { PublicationMessage, ServerMessage, StreamPosition, SubscribedMessage } from '../messages/core.ts';
import { backoffDelay } from './backoff.ts';
import { ClientError } from './errors.ts';
import { RETRYABLE_CODES } from './publisher.ts';
import type { Request } from './requests.ts';
import type { GapEvent, SubscriptionOptions } from './subscription-events.ts';
import { Subscription, subscriptionControl } from './subscription.ts';
import type { TimerSet } from './timers.ts';
import type { TransportSocket } from './transport.ts';

/** What the registry needs from its client. */
export interface RegistryHost {
  /** Sends a request on the current connection. */
  request(message: Request): Promise<ServerMessage>;
  /** The current socket while connected, else null. */
  connection(): TransportSocket | null;
  /** Whether the client is closed for good. */
  closed(): boolean;
  /** A publication was delivered to the application. */
  delivered(publication: PublicationMessage): void;
  /** Whether a publication is the client's own `echo: false` one (counted, never delivered). */
  quiet(publication: PublicationMessage): boolean;
  /** A publication was dropped as already delivered. */
  duplicate(): void;
  /** A subscription could not prove completeness. */
  gap(event: GapEvent): void;
}

/** Backoff of a subscribe refused with a retryable error: short, since the connection itself is fine. */
const RESUBSCRIBE_BACKOFF = { minDelayMs: 200, maxDelayMs: 5000 } as const;

/** The client's subscriptions by channel, and the last position delivered per channel (kept after unsubscribe). */
export class SubscriptionRegistry {
  /** Last position delivered per channel. */
  readonly positions = new Map<string, StreamPosition>();
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #host: RegistryHost;
  readonly #timers: TimerSet;
  readonly #random: (() => number) | undefined;

  /**
   * @param host The client.
   * @param timers Where resubscribe pauses run.
   * @param random Jitter source. @default Math.random
   */
  constructor(host: RegistryHost, timers: TimerSet, random?: () => number) {
    this.#host = host;
    this.#timers = timers;
    this.#random = random;
  }

  /** The subscription object of a channel, created on first use (not yet subscribed). */
  subscription(channel: string, options: SubscriptionOptions = {}): Subscription {
    let sub = this.#subscriptions.get(channel);
    if (sub === undefined) {
      const created: Subscription = new Subscription(channel, options, {
        request: (m) => this.#host.request(m),
        positionOf: (c) => this.positions.get(c),
        setPosition: (c, p) => this.positions.set(c, p),
        delivered: (_s, p) => this.#host.delivered(p),
        quiet: (p) => this.#host.quiet(p),
        duplicate: () => this.#host.duplicate(),
        gap: (g) => {
          this.#host.gap(g);
          const target = this.#subscriptions.get(g.channel);
          if (target !== undefined) subscriptionControl(target).gap(g);
        },
        subscribe: (c) => {
          // `sub.subscribe()` subscribes this object, with its own options; after an unsubscribe or a refusal it
          // becomes the channel's subscription again (unless another one is active there).
          const current = this.#subscriptions.get(c);
          if (current === undefined || (current !== created && current.state === 'idle'))
            this.#subscriptions.set(c, created);
          return this.#subscriptions.get(c) === created ? this.#start(created) : this.subscribe(c);
        },
        unsubscribe: (c) => this.unsubscribe(c),
      });
      sub = created;
      this.#subscriptions.set(channel, sub);
    }
    return sub;
  }

  /** Subscribes (now when connected, else on the next connection); resolves on `subscribed`. */
  subscribe(channel: string, options: SubscriptionOptions = {}): Promise<SubscribedMessage> {
    if (this.#host.closed()) return Promise.reject(new ClientError('closed', 'Cannot subscribe: the client is closed'));
    let sub = this.#subscriptions.get(channel);
    if (
      sub !== undefined &&
      (options.since !== undefined || options.presence !== sub.options.presence) &&
      sub.state === 'idle'
    ) {
      this.#subscriptions.delete(channel);
      sub = undefined;
    }
    sub ??= this.subscription(channel, options);
    return this.#start(sub);
  }

  /** Marks `sub` wanted and sends its subscribe when it was idle and the client is connected. */
  #start(sub: Subscription): Promise<SubscribedMessage> {
    if (this.#host.closed()) return Promise.reject(new ClientError('closed', 'Cannot subscribe: the client is closed'));
    const wasIdle = sub.state === 'idle';
    const wait = subscriptionControl(sub).waiting();
    const socket = this.#host.connection();
    if (wasIdle && socket !== null) this.#send(sub, socket);
    return wait;
  }

  /** Unsubscribes and forgets the subscription (its position is kept). Succeeds offline. */
  async unsubscribe(channel: string): Promise<void> {
    const sub = this.#subscriptions.get(channel);
    this.#subscriptions.delete(channel);
    if (sub !== undefined) subscriptionControl(sub).ended('unsubscribed', 'Unsubscribed by the application');
    if (this.#host.connection() !== null)
      await this.#host.request({ type: 'unsubscribe', channel }).catch((err: unknown) => {
        if (!(err instanceof ClientError && err.code === 'closed')) throw err;
      });
  }

  /** A connection is established: resubscribe every wanted subscription (with `since`, to recover). */
  resubscribeAll(socket: TransportSocket): void {
    for (const sub of this.#subscriptions.values()) if (sub.state !== 'idle') this.#send(sub, socket);
  }

  /** The connection dropped: subscriptions wait for the resubscribe. */
  lostAll(): void {
    for (const sub of this.#subscriptions.values()) subscriptionControl(sub).lost();
  }

  /** The client closed: every subscription ends. */
  endAll(): void {
    for (const sub of this.#subscriptions.values()) subscriptionControl(sub).ended('closed', 'The client was closed');
  }

  /**
   * Hands a channel message (not a request's answer) to its subscription.
   * @param message A decoded server message.
   */
  route(message: ServerMessage): void {
    switch (message.type) {
      case 'publication': {
        const sub = this.#subscriptions.get(message.channel);
        if (sub !== undefined && sub.state !== 'idle') subscriptionControl(sub).publication(message);
        return;
      }
      case 'publications': {
        // A batch is its publications, one by one and in order.
        for (const p of message.publications) this.route({ type: 'publication', ...p });
        return;
      }
      case 'deleted': {
        const sub = this.#subscriptions.get(message.channel);
        if (sub !== undefined && sub.state !== 'idle') subscriptionControl(sub).deleted(message);
        return;
      }
      case 'join':
      case 'leave':
      case 'typing': {
        const sub = this.#subscriptions.get(message.channel);
        if (sub === undefined) return;
        if (message.type === 'typing') subscriptionControl(sub).typing(message);
        else subscriptionControl(sub).presence(message);
        return;
      }
      case 'unsubscribed': {
        // With `re`, it answers an unsubscribe of ours that is no longer pending: the subscription is already gone.
        const sub = this.#subscriptions.get(message.channel);
        if (sub === undefined || message.re !== undefined) return;
        this.#subscriptions.delete(message.channel);
        subscriptionControl(sub).ended(
          message.code ?? 'unsubscribed',
          message.reason ?? 'The server ended the subscription',
        );
        return;
      }
      default:
        return;
    }
  }

  #send(sub: Subscription, socket: TransportSocket, retry = 0): void {
    const control = subscriptionControl(sub);
    const since = control.since();
    control.sending();
    this.#host
      .request({
        type: 'subscribe',
        channel: sub.channel,
        ...(since !== undefined ? { since } : {}),
        ...(sub.options.presence !== undefined ? { presence: sub.options.presence } : {}),
      })
      .then((answer) => {
        if (this.#subscriptions.get(sub.channel) !== sub) return;
        if (answer.type !== 'subscribed')
          throw new ClientError('protocol', `Unexpected "${answer.type}" answer to subscribe`);
        control.subscribed(answer, since);
      })
      .catch((err: unknown) => {
        if (this.#subscriptions.get(sub.channel) !== sub || this.#host.connection() !== socket) return;
        const error = err instanceof ClientError ? err : new ClientError('protocol', String(err));
        if (error.code === 'already_subscribed') {
          // An earlier attempt went through after all: start over so the recovery answer is ours.
          this.#host.request({ type: 'unsubscribe', channel: sub.channel }).then(
            () => this.#send(sub, socket, retry + 1),
            () => {},
          );
          return;
        }
        if (RETRYABLE_CODES.has(error.code) || error.code === 'protocol') {
          this.#timers.start(
            () => {
              if (this.#host.connection() === socket && this.#subscriptions.get(sub.channel) === sub)
                this.#send(sub, socket, retry + 1);
            },
            backoffDelay(retry, {
              ...RESUBSCRIBE_BACKOFF,
              ...(this.#random === undefined ? {} : { random: this.#random }),
            }),
          );
          return;
        }
        this.#subscriptions.delete(sub.channel);
        control.ended(error.code, error.message);
      });
  }
}
