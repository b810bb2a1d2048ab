// Realtime: the services a hub hands its operations (channels, typing, bans, logic, documents), built from its options.
import { MemoryDocumentStore } from '../broker/index.ts';
import type { Codec } from '../messages/index.ts';
import { BanGuard } from './bans.ts';
import { ChannelRegistry, type FanoutContext, typingSignalData } from './channels.ts';
import { DocumentRegistry } from './documents/registry.ts';
import type { RealtimeEvents } from './events.ts';
import { DEFAULT_LOGIC_TIMEOUT_MS, type RealtimeServerOptions } from './hub-options.ts';
import type { ServerLogic } from './logic.ts';
import { LogicRunner } from './logic-runner.ts';
import { Permissions } from './permissions.ts';
import type { HubServices } from './services.ts';
import type { SessionOptions } from './session-options.ts';
import { TypingTracker } from './typing.ts';

/** The slow-consumer threshold when the options set none: 4 MiB queued for one connection. */
const DEFAULT_SLOW_CONSUMER_BYTES = 4 * 1024 * 1024;

/**
 * Builds the hub's services.
 * @param options The hub's options.
 * @param hub What the hub itself provides: its codecs, its broadcast, its session limits and events, its node id, its
 *   user registry and statistics.
 * @returns The services every operation is run with.
 */
export function hubServicesFrom(
  options: RealtimeServerOptions,
  hub: {
    readonly codecs: readonly Codec[];
    readonly broadcast: FanoutContext['broadcast'];
    readonly sessionOptions: SessionOptions;
    readonly maxMessageSize: number;
    readonly events: RealtimeEvents;
    readonly node: string;
    addUserSession: HubServices['addUserSession'];
    stats: HubServices['stats'];
  },
): HubServices {
  const observer = options.observer ?? {};
  const codecs = hub.codecs;
  const channels = new ChannelRegistry({
    broker: options.broker,
    codecs: codecs.length,
    encode: (index, message) => codecs[index]!.encodeServerMessage(message),
    broadcast: hub.broadcast,
    slowConsumerBytes: options.slowConsumerBytes ?? DEFAULT_SLOW_CONSUMER_BYTES,
    delivered: (publication, count) => observer.delivered?.(count, Date.now() - publication.time),
    slowConsumer: (_session, action) => observer.slowConsumer?.(action),
  });
  const logics = options.logic === undefined ? [] : Array.isArray(options.logic) ? options.logic : [options.logic];
  const logic = new LogicRunner(logics as readonly ServerLogic[], {
    timeoutMs: options.logicTimeoutMs ?? DEFAULT_LOGIC_TIMEOUT_MS,
    maxDataBytes: hub.maxMessageSize,
    observer,
  });
  const permissions = options.permissions ?? new Permissions(options.namespaces);
  return {
    broker: options.broker,
    permissions,
    authenticator: options.authenticator,
    channels,
    // Typing travels as a broker signal, so subscribers on every node see it (not stored, not recovered).
    // When the broker cannot take it, this node's subscribers still get it.
    typing: new TypingTracker((channel, user, on) => {
      options.broker.signal(channel, typingSignalData(user, on)).catch(() => {
        channels.get(channel)?.relay({ type: 'typing', channel, user, on }, user);
      });
    }, options.typing),
    options: hub.sessionOptions,
    observer,
    events: hub.events,
    bans: new BanGuard(options.broker, observer),
    addUserSession: hub.addUserSession,
    stats: hub.stats,
    logic,
    documents: new DocumentRegistry({
      store: options.documentStore ?? new MemoryDocumentStore(),
      broker: options.broker,
      permissions,
      observer,
      node: hub.node,
      broadcast: hub.broadcast,
    }),
  };
}
