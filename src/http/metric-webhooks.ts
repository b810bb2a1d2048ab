// HTTP: the Prometheus metrics of webhook delivery (per endpoint: events sent, failed attempts, dead letters, queue).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeadLetterCause, WebhookFailure, WebhookObserver, WebhooksHealth } from '../integrations/index.ts';

/**
 * Webhook metrics, fed by the delivery (a `WebhookObserver`) and, for the queue gauge, at scrape time. The `endpoint`
 * label is the configured URL without query or credentials: as many values as configured endpoints.
 */
export class WebhookMetrics implements WebhookObserver {
  readonly #sent: Counter;
  readonly #failed: Counter;
  readonly #dead: Counter;
  readonly #queued: Gauge;

  /**
   * @param registry Where they are registered.
   * @param prefix Prefix of their names (`switchboard_`).
   */
  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.#sent = new Counter({
      name: `${prefix}webhook_events_sent_total`,
      help: 'Webhook events acknowledged by the receiver (2xx), by endpoint',
      labelNames: ['endpoint'],
      registers,
    });
    this.#failed = new Counter({
      name: `${prefix}webhook_failed_attempts_total`,
      help: 'Webhook POSTs that failed (timeout, network, non-2xx), by endpoint and reason',
      labelNames: ['endpoint', 'reason'],
      registers,
    });
    this.#dead = new Counter({
      name: `${prefix}webhook_dead_lettered_total`,
      help: 'Webhook events given up (queue overflow, attempts exhausted, shutdown), by endpoint and cause',
      labelNames: ['endpoint', 'cause'],
      registers,
    });
    this.#queued = new Gauge({
      name: `${prefix}webhook_queue_depth`,
      help: 'Webhook events waiting or in flight, by endpoint',
      labelNames: ['endpoint'],
      registers,
    });
  }

  /** @inheritdoc */
  sent(endpoint: string, events: number): void {
    this.#sent.inc({ endpoint }, events);
  }

  /** @inheritdoc */
  failedAttempt(endpoint: string, reason: WebhookFailure): void {
    this.#failed.inc({ endpoint, reason });
  }

  /** @inheritdoc */
  deadLettered(endpoint: string, events: number, cause: DeadLetterCause): void {
    this.#dead.inc({ endpoint, cause }, events);
  }

  /**
   * Sets the queue gauge from the delivery's state (at scrape time).
   * @param health The webhooks' health.
   */
  setQueues(health: WebhooksHealth): void {
    for (const e of health.endpoints) this.#queued.set({ endpoint: e.endpoint }, e.queued + e.inFlight);
  }
}
