// Client SDK (Node-free): chat-room helpers over a Client (join, leave, message, typing, stats), as in the seeds.
import type { JsonValue, PresenceUser, PublishReply, SubscribedMessage } from '../messages/core.ts';
import type { Client } from './client.ts';
import type { Subscription } from './subscription.ts';

/** Figures of one room. */
export interface RoomStats {
  readonly channel: string;
  /** Users present (from the presence list). */
  readonly users: number;
  /** Their connections. */
  readonly connections: number;
  /** Publications delivered to this client since it joined. */
  readonly received: number;
  /** The last offset delivered. */
  readonly offset: number | null;
}

/**
 * A chat room: the channel `namespace:name` with presence. Messages are `{ text }` publications.
 *
 * @example
 * ```ts
 * const room = new Room(client, 'general');
 * room.subscription.on('publication', (p) => render(p));
 * await room.join();
 * await room.say('hello');
 * ```
 */
export class Room {
  readonly #client: Client;
  /** The channel, `namespace:name`. */
  readonly channel: string;
  /** The underlying subscription (events, async iteration). */
  readonly subscription: Subscription;
  #received = 0;

  /**
   * @param client The client.
   * @param name Room name (the part after the namespace).
   * @param options `namespace`. @default 'chat'
   */
  constructor(client: Client, name: string, options: { readonly namespace?: string } = {}) {
    this.#client = client;
    this.channel = `${options.namespace ?? 'chat'}:${name}`;
    this.subscription = client.subscription(this.channel, { presence: true });
    this.subscription.on('publication', () => {
      this.#received++;
    });
  }

  /** Joins (subscribes with presence; kept across reconnects). @returns The `subscribed` message. */
  join(): Promise<SubscribedMessage> {
    return this.#client.subscribe(this.channel, { presence: true });
  }

  /** Leaves the room. */
  leave(): Promise<void> {
    return this.#client.unsubscribe(this.channel);
  }

  /**
   * Sends a chat message `{ text, ...extra }` through the outbox.
   * @param text The message.
   * @param extra More JSON fields.
   * @returns The server's ack.
   */
  say(text: string, extra: Record<string, JsonValue> = {}): Promise<PublishReply> {
    return this.#client.publish(this.channel, { ...extra, text });
  }

  /** @param on true when the user started typing. */
  typing(on: boolean): void {
    this.#client.typing(this.channel, on);
  }

  /** Who is here (from the subscription's presence list). */
  get members(): readonly PresenceUser[] {
    return this.subscription.presence;
  }

  /** @returns This room's figures. */
  stats(): RoomStats {
    const members = this.subscription.presence;
    return {
      channel: this.channel,
      users: members.length,
      connections: members.reduce((n, u) => n + u.connections, 0),
      received: this.#received,
      offset: this.subscription.position?.offset ?? null,
    };
  }
}
