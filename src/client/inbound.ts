// Client SDK (Node-free): what a client does with each frame of its current socket: answers settle their request,
// `doc` messages go to their document provider, channel messages to their subscription, then the client's events.
import type { ClientEvents } from './client-options.ts';
import type { ClientParts } from './client-parts.ts';
import type { DocumentChannels } from './document-channel.ts';
import { frameData } from './wire.ts';

/** The parts a client's inbound frames go through. */
export type InboundParts = Pick<ClientParts, 'liveness' | 'wire' | 'requests' | 'subscriptions' | 'connection'>;

/** Routes the frames of one client. */
export class Inbound {
  readonly #parts: InboundParts;
  readonly #documents: DocumentChannels;
  readonly #emit: <K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]) => void;

  /**
   * @param parts The client's parts.
   * @param routes Its document channels, and its `emit`.
   */
  constructor(
    parts: InboundParts,
    routes: {
      readonly documents: DocumentChannels;
      readonly emit: <K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]) => void;
    },
  ) {
    this.#parts = parts;
    this.#documents = routes.documents;
    this.#emit = routes.emit;
  }

  /** A frame of the current socket. */
  frame(data: unknown): void {
    const parts = this.#parts;
    parts.liveness.received();
    const raw = frameData(data);
    if (raw === null) return;
    // Malformed frames and unknown message types are ignored (docs/protocol.md §14); a hostile frame never takes
    // the client down: the wire's decode never throws.
    const message = parts.wire.decode(raw);
    if (message === null || parts.requests.settle(message)) return;
    if (message.type === 'doc') {
      this.#documents.route(message);
      return;
    }
    parts.subscriptions.route(message);
    switch (message.type) {
      case 'join':
        this.#emit('join', message);
        break;
      case 'leave':
        this.#emit('leave', message);
        break;
      case 'typing':
        this.#emit('typing', message);
        break;
      case 'unsubscribed':
        this.#emit('unsubscribed', message);
        break;
      case 'error':
        this.#emit('error', message);
        break;
      case 'disconnect':
        parts.connection.advise(message);
        this.#emit('disconnect', message);
        break;
      default:
        break;
    }
  }
}
