// Webhooks: subscribes to the realtime server's events and hands each, serialized once, to the endpoints that want it.
import { randomUUID } from 'node:crypto';
import type { RealtimeEventMap, RealtimeEventName, RealtimeEvents } from '../../realtime/index.ts';
import { WebhookEndpoint, type WebhookEndpointStats, type WebhookObserver } from './endpoint.ts';
import { resolveEndpointOptions, type WebhookEndpointOptions } from './options.ts';

/** Options of {@link Webhooks}. */
export interface WebhooksOptions {
  /** The endpoints; each gets the events its filter names. */
  readonly endpoints: readonly WebhookEndpointOptions[];
  /** Metrics hooks. */
  readonly observer?: WebhookObserver;
  /** Called when an event cannot be serialized (a payload that is not JSON): it is skipped before any endpoint counts it. */
  readonly onError?: (error: unknown) => void;
}

/** `/health`'s view of webhooks. */
export interface WebhooksHealth {
  readonly endpoints: readonly WebhookEndpointStats[];
}

/**
 * Webhook delivery for one node. Listens only to the events some endpoint wants (the others cost nothing), gives
 * each event a unique id (receivers deduplicate on it: a batch whose answer was lost is sent again), serializes it
 * once as `{"id","type","time",...payload}` (a publication's message id as `messageId`) and queues it on each
 * interested endpoint. The listener never awaits:
 * delivery runs beside the clients' traffic, never in its way.
 *
 * @example
 * ```ts
 * const webhooks = new Webhooks(hub.events, {
 *   endpoints: [{ url: 'https://app.example.com/hooks', secret, events: ['presenceJoin', 'presenceLeave'] }],
 * });
 * // ... on shutdown, after the hub drained:
 * await webhooks.close({ timeoutMs: 5000 });
 * ```
 */
export class Webhooks {
  readonly #endpoints: WebhookEndpoint[];
  readonly #unsubscribe: (() => void)[] = [];

  /**
   * @param events The realtime server's events.
   * @param options Endpoints and hooks.
   * @throws {RangeError} When an endpoint's options are invalid.
   */
  constructor(events: RealtimeEvents, options: WebhooksOptions) {
    this.#endpoints = options.endpoints.map(
      (endpoint) => new WebhookEndpoint(resolveEndpointOptions(endpoint), options.observer ?? {}),
    );
    const wanted = new Set(this.#endpoints.flatMap((e) => e.events as RealtimeEventName[]));
    for (const name of wanted) {
      const targets = this.#endpoints.filter((e) => e.events.includes(name));
      this.#unsubscribe.push(events.on(name, (event) => this.#dispatch(name, event, targets, options.onError)));
    }
  }

  /** Per-endpoint counters and state. */
  health(): WebhooksHealth {
    return { endpoints: this.#endpoints.map((e) => e.stats()) };
  }

  /**
   * Stops listening, then flushes every endpoint within the deadline (see {@link WebhookEndpoint.close}).
   * @param options `timeoutMs`: the flush deadline. @default 5000
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    await Promise.all(this.#endpoints.map((e) => e.close(options.timeoutMs ?? 5000)));
  }

  #dispatch<K extends RealtimeEventName>(
    name: K,
    event: RealtimeEventMap[K],
    targets: readonly WebhookEndpoint[],
    onError: ((error: unknown) => void) | undefined,
  ): void {
    const id = randomUUID();
    const now = Date.now();
    // The event's own `id` names it in the batch; a publication's message id travels as `messageId`.
    const { time, id: messageId, ...payload } = event as RealtimeEventMap[K] & { time?: number; id?: string };
    let json: string;
    try {
      json = JSON.stringify({
        id,
        type: name,
        time: time ?? now,
        ...payload,
        ...(messageId === undefined ? {} : { messageId }),
      });
    } catch (err) {
      onError?.(err);
      return;
    }
    for (const endpoint of targets) endpoint.push({ id, json, queuedAt: now });
  }
}
