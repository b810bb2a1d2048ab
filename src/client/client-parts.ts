// Client SDK (Node-free): assembles the parts a Client delegates to (connection lifecycle, requests, liveness, token
// refresh, subscriptions, publishing) and wires them to each other and to the Client's events and figures.
import type { ServerMessage } from '../messages/core.ts';
import { backoffDelay } from './backoff.ts';
import type { ClientEvents, ClientOptions, ClientStats } from './client-options.ts';
import { ConnectionLifecycle } from './connection.ts';
import { ClientError } from './errors.ts';
import { Liveness } from './liveness.ts';
import { Publisher } from './publisher.ts';
import { RequestTracker, type Request } from './requests.ts';
import { SubscriptionRegistry } from './subscription-registry.ts';
import { TimerSet, systemClock } from './timers.ts';
import { TokenRefresher } from './token-refresh.ts';
import { TransportChooser } from './transport-chooser.ts';
import type { TransportSocket } from './transport.ts';
import { codecWire, jsonWire, type ClientWire } from './wire.ts';

/** The parts of one Client. */
export interface ClientParts {
  readonly wire: ClientWire;
  readonly timers: TimerSet;
  readonly connection: ConnectionLifecycle;
  readonly chooser: TransportChooser;
  readonly requests: RequestTracker;
  readonly liveness: Liveness;
  readonly refresher: TokenRefresher | null;
  readonly subscriptions: SubscriptionRegistry;
  readonly publisher: Publisher;
}

/** What the parts need from the Client that owns them. */
export interface ClientPartsHost {
  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void;
  /** The Client's `request` (rejects with `closed` when not connected). */
  request(message: Request, options?: { readonly timeoutMs?: number }): Promise<ServerMessage>;
  /** The default request deadline. */
  readonly requestTimeoutMs: number;
  /** A frame of the current socket. */
  frame(data: unknown): void;
  /** The Client's delivery figures, counted here. */
  readonly stats: ClientStats;
  /** Whether a publication is one of this client's recent `echo: false` publishes. */
  quiet(id: string): boolean;
  /** The client closed for good: stop watching the browser's `online` event. */
  closed(): void;
  /** The message id generator. */
  newMessageId(): string;
}

/**
 * Creates and wires the parts of a Client.
 * @param options The Client's options.
 * @param host What the parts call back into.
 */
export function createClientParts(options: ClientOptions, host: ClientPartsHost): ClientParts {
  const stats = host.stats;
  const clock = options.clock ?? systemClock;
  const timers = new TimerSet(clock);
  const wire = options.codec === undefined || options.codec === 'json' ? jsonWire : codecWire(options.codec);
  const requests = new RequestTracker(wire, timers);
  // The callbacks below reach parts created after them: none runs before this function returns.
  const chooser = new TransportChooser(options, wire, timers, { upgrade: () => connection.upgrade() });
  const connection: ConnectionLifecycle = new ConnectionLifecycle(options, wire.subprotocol, timers, chooser, {
    emit: (event, payload) => host.emit(event, payload),
    request: (socket, message) => requests.send(socket, message, host.requestTimeoutMs),
    frame: (data) => host.frame(data),
    established: () => {
      stats.connections++;
      liveness.received();
    },
    connected: (socket, answer) => {
      subscriptions.resubscribeAll(socket);
      liveness.start(socket);
      refresher?.schedule(socket, answer.expires);
      publisher.pump();
    },
    lost: (code) => {
      liveness.stop();
      refresher?.stop();
      publisher.connectionLost();
      requests.failAll(new ClientError('closed', `Connection closed (${code})`));
      subscriptions.lostAll();
    },
    closing: () => requests.failAll(new ClientError('closed', 'The client is closed')),
    closed: () => {
      host.closed();
      publisher.close();
      subscriptions.endAll();
    },
  });
  const current = (): TransportSocket | null => connection.socket;
  const liveness = new Liveness(
    timers,
    { intervalMs: options.pingIntervalMs ?? 20_000, timeoutMs: options.pingTimeoutMs ?? 10_000 },
    {
      current,
      ping: (timeoutMs) => host.request({ type: 'ping' }, { timeoutMs }),
      dead: (socket) => connection.drop(socket, 'ping_timeout'),
    },
  );
  const getToken = options.getToken;
  const refresher =
    getToken === undefined
      ? null
      : new TokenRefresher(timers, options.refreshMarginMs ?? 30_000, {
          current,
          getToken,
          refresh: async (token) => {
            const answer = await host.request({ type: 'refresh', token });
            // The HTTP transports send the session's token with every request: from now on the new one.
            chooser.token = token;
            return answer;
          },
        });
  const subscriptions = new SubscriptionRegistry(
    {
      request: (m) => host.request(m),
      connection: () => connection.connection,
      closed: () => connection.state === 'closed',
      quiet: (p) => p.id !== undefined && p.sender === connection.session?.user && host.quiet(p.id),
      delivered: (p) => {
        stats.delivered++;
        host.emit('publication', p);
      },
      duplicate: () => {
        stats.duplicates++;
      },
      gap: (g) => {
        stats.gaps++;
        host.emit('gap', g);
      },
    },
    timers,
    options.random,
  );
  const publisher = new Publisher(
    {
      newMessageId: () => host.newMessageId(),
      clock,
      ...(options.outbox === undefined ? {} : { outbox: options.outbox }),
      ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
      ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    },
    {
      connection: () => connection.connection,
      request: (message, o) => host.request(message, o),
      acked: (entry, reply) => {
        stats.acked++;
        // The server skipped this connection: count the offset as seen, or the next live one looks like a gap.
        const position = subscriptions.positions.get(reply.channel);
        if (entry.echo === false && position?.epoch === reply.epoch && position.offset === reply.offset - 1)
          subscriptions.positions.set(reply.channel, { epoch: reply.epoch, offset: reply.offset });
        host.emit('acked', { entry, reply });
      },
      failed: (entry, error) => host.emit('failed', { entry, error }),
      breaker: (state) => host.emit('breaker', state),
      resent: () => {
        stats.resent++;
      },
      retryDelayMs: () =>
        backoffDelay(2, {
          ...(options.reconnect || {}),
          ...(options.random === undefined ? {} : { random: options.random }),
        }) + 50,
    },
  );
  return { wire, timers, connection, chooser, requests, liveness, refresher, subscriptions, publisher };
}
