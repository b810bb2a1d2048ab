// HTTP: turns the real-time layer's hooks into Prometheus metrics and one pino line per connection open and close.
import type { Logger } from 'pino';
import type { RealtimeObserver, Session } from '../realtime/index.ts';
import type { Metrics } from './metrics.ts';
import { RepeatFilter } from './repeat-filter.ts';

/**
 * Builds the hub's observer. Log lines carry the connection id, user, address, subprotocol, close code and
 * duration; never the token or the request URL (which may hold `?token=`).
 * @param metrics Prometheus metrics, or null.
 * @param logger The process logger, or null.
 * @returns The observer.
 */
export function createObserver(metrics: Metrics | null, logger: Logger | null): RealtimeObserver {
  // A page on a foreign origin reconnects in a loop: one warning per origin per minute is enough to be found.
  const refusedOrigins = new RepeatFilter();
  return {
    sessionOpened(session: Session) {
      logger?.info(
        {
          event: 'connection_open',
          client: session.id,
          ip: session.remoteAddress,
          protocol: session.protocol || 'none',
        },
        'connection open',
      );
    },
    sessionClosed(session: Session) {
      const end = session.end;
      logger?.info(
        {
          event: 'connection_close',
          client: session.id,
          user: session.user,
          ip: session.remoteAddress,
          code: end?.code ?? 1006,
          reason: end?.reason ?? '',
          durationMs: end?.durationMs ?? Date.now() - session.openedAt,
          // Plain counters kept by the session: what it cost, to find the heavy connections in the logs.
          messagesIn: session.traffic.messagesIn,
          bytesIn: session.traffic.bytesIn,
          messagesOut: session.traffic.messagesOut,
          bytesOut: session.traffic.bytesOut,
        },
        'connection close',
      );
    },
    messageIn: (type, bytes) => metrics?.messageIn(type, bytes),
    messageOut: (type, bytes) => metrics?.messageOut(type, bytes),
    errorReply: (code) => metrics?.errorSent(code),
    handshakeRejected(reason) {
      metrics?.handshakeRejected(reason);
      logger?.debug({ event: 'handshake_rejected', reason }, 'handshake rejected');
    },
    originRefused(origin, reason) {
      if (logger === null) return;
      const held = refusedOrigins.take(origin);
      if (held === null) return;
      const hint =
        reason === 'origin_not_allowed'
          ? `; allow it with --origin ${origin} or "origins" in the config (SWITCHBOARD_ORIGINS)`
          : '';
      logger.warn(
        { event: 'origin_refused', origin, reason, suppressed: held },
        `WebSocket upgrade from origin ${origin} refused with 403 (${reason})${hint}`,
      );
    },
    authFailed: (reason) => metrics?.authFailed(reason),
    rateLimited: (limit) => metrics?.rateLimited(limit),
    delivered(count, latencyMs) {
      if (count === 0) return;
      metrics?.messageOut('publication', 0, count);
      metrics?.deliveryLatency(latencyMs);
    },
    slowConsumer: (action) => metrics?.slowConsumer(action),
    feedConflated: (skipped) => metrics?.feedConflated(skipped),
    feedBatchSent: (publications) => metrics?.feedBatchSent(publications),
    brokerLatency: (op, ms) => metrics?.brokerLatency(op === 'publish' ? 'publish' : 'other', ms),
    internalError(err) {
      logger?.error({ event: 'internal_error', err }, 'internal error');
    },
    logicFailed(hook, reason, detail) {
      metrics?.logicFailed(hook, reason);
      logger?.error({ event: 'logic_failed', hook, reason, err: detail }, `server logic ${hook} failed (${reason})`);
    },
  };
}
