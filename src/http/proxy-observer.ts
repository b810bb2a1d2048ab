// HTTP: turns the backend proxy's events into Prometheus metrics and log lines (a failure per endpoint and outcome
// at most once a minute, so an outage is seen without flooding the log).
import type { Logger } from 'pino';
import type { ProxyObserver } from '../integrations/index.ts';
import type { Metrics } from './metrics.ts';
import { RepeatFilter } from './repeat-filter.ts';

/**
 * Builds the proxy's observer (pass it as `createHttpProxy({ observer })`).
 * @param metrics Prometheus metrics, or null.
 * @param logger The process logger, or null.
 * @returns The observer.
 */
export function createProxyObserver(metrics: Metrics | null, logger: Logger | null): ProxyObserver {
  const repeats = new RepeatFilter();
  return {
    request: (kind, outcome, durationMs) => metrics?.proxyRequest(kind, outcome, durationMs),
    failed(failure) {
      if (logger === null) return;
      const held = repeats.take(`${failure.endpoint} ${failure.outcome}`);
      if (held === null) return;
      logger.warn(
        { event: 'proxy_failed', ...failure, suppressed: held },
        `backend ${failure.endpoint} failed a ${failure.kind} request: ${failure.outcome} (${failure.detail})`,
      );
    },
    breakerChanged(endpoint, state) {
      if (logger === null) return;
      const line = { event: 'proxy_breaker', endpoint, state };
      if (state === 'open')
        logger.warn(line, `backend ${endpoint}: breaker open, calls refused until a probe succeeds`);
      else logger.info(line, `backend ${endpoint}: breaker ${state}`);
    },
  };
}
