// HTTP: the Prometheus metrics of the HTTP transports (sessions open by transport, requests forwarded between nodes).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ForwardedRequest, ForwardOutcome } from './transports/forwarder.ts';
import type { HttpSessionKind } from './transports/registry.ts';

/** Sessions over SSE and long polling, set at scrape time, and requests forwarded to the node holding their session. */
export class HttpTransportMetrics {
  readonly #sessions: Gauge;
  readonly #forwarded: Counter;

  /**
   * @param registry Where they are registered.
   * @param prefix Prefix of their names (`switchboard_`).
   */
  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.#sessions = new Gauge({
      name: `${prefix}http_sessions`,
      help: 'Sessions open now over the HTTP transports, by transport (sse, poll); WebSockets are in connections',
      labelNames: ['transport'],
      registers,
    });
    this.#forwarded = new Counter({
      name: `${prefix}http_forwarded_requests_total`,
      help: 'HTTP transport requests forwarded to the node holding their session, by op (send, poll, end) and outcome',
      labelNames: ['op', 'outcome'],
      registers,
    });
    for (const transport of ['sse', 'poll']) this.#sessions.set({ transport }, 0);
    for (const op of ['send', 'poll', 'end'])
      for (const outcome of ['answered', 'timeout', 'busy', 'broker_error']) this.#forwarded.inc({ op, outcome }, 0);
  }

  /**
   * Sets the sessions gauge.
   * @param counts Open sessions by kind.
   */
  setSessions(counts: Readonly<Record<HttpSessionKind, number>>): void {
    for (const [transport, n] of Object.entries(counts)) this.#sessions.set({ transport }, n);
  }

  /**
   * Counts one forwarded request.
   * @param op Send, poll or end.
   * @param outcome How it ended.
   */
  forwarded(op: ForwardedRequest['op'], outcome: ForwardOutcome): void {
    this.#forwarded.inc({ op, outcome });
  }
}
