// Realtime operations `publish` (into a channel) and `send` (a private message into a user's personal channel).
import { ErrorCode, type JsonValue, type PublishMessage, type SendMessage } from '../../messages/index.ts';
import type { PublishOptions } from '../../broker/index.ts';
import { personalChannel, type NamespaceConfig, type ResolvedChannel } from '../namespaces.ts';
import { emitPublication } from '../events.ts';
import { publishContext } from '../logic-context.ts';
import { brokerFailed, refused } from '../replies.ts';
import type { HubServices } from '../services.ts';
import type { Session } from '../session.ts';

/**
 * Publishes into a channel; the reply says where it landed.
 * @param session The publisher (authenticated).
 * @param hub The hub's services.
 * @param message The validated `publish`.
 */
export async function publish(session: Session, hub: HubServices, message: PublishMessage): Promise<void> {
  const allowed = hub.permissions.can(session.identity!, 'publish', message.channel);
  if (!allowed.ok) {
    refused(session, allowed, 'publish to', message.rid);
    return;
  }
  if (allowed.config.publishRequiresSubscription && !session.subscriptions.has(allowed.channel)) {
    session.error(ErrorCode.NOT_SUBSCRIBED, 'Cannot publish: subscribe to the channel first', message.rid);
    return;
  }
  await publishInto(session, hub, allowed, message.data, message.id, message.rid, message.echo !== false, message.key);
}

/**
 * Publishes into the personal channel of `message.user`.
 * @param session The sender (authenticated).
 * @param hub The hub's services.
 * @param message The validated `send`.
 */
export async function send(session: Session, hub: HubServices, message: SendMessage): Promise<void> {
  const channel = personalChannel(message.user);
  if (channel === null) {
    session.error(ErrorCode.NOT_FOUND, 'Cannot send: no such user', message.rid);
    return;
  }
  const allowed = hub.permissions.can(session.identity!, 'send', channel);
  if (!allowed.ok) {
    session.error(
      allowed.code,
      allowed.code === 'not_available'
        ? 'Cannot send: private messages are disabled'
        : 'Cannot send: permission denied',
      message.rid,
    );
    return;
  }
  await publishInto(session, hub, allowed, message.data, message.id, message.rid, true);
}

/**
 * Stores a publication and answers where it landed. `onPublish` runs first (when a logic defines it): it may replace
 * the data or refuse. The HTTP API's server-side publish (`RealtimeServer#publish`) does not come through here: the
 * backend that calls it is the application itself.
 */
async function publishInto(
  session: Session,
  hub: HubServices,
  target: ResolvedChannel,
  original: JsonValue,
  id: string | undefined,
  rid: number | undefined,
  echo: boolean,
  key?: string,
): Promise<void> {
  const { channel, config } = target;
  // The codec already enforced the size and depth limits: the schema only ever sees bounded data.
  const invalid = target.validatePayload?.(original) ?? null;
  if (invalid !== null) {
    session.error(ErrorCode.INVALID_MESSAGE, `Cannot publish: ${invalid}`, rid);
    return;
  }
  let data = original;
  if (hub.logic.has('onPublish')) {
    const pending = hub.logic.publish(
      publishContext(session, session.identity!, hub.permissions, channel, target.namespace, data),
    );
    // A chain of synchronous hooks answers without a promise: no await, no microtask (bench/RESULTS.md, logic-notes).
    const decided = pending instanceof Promise ? await pending : pending;
    if (session.isClosed) return;
    if (!decided.ok) {
      session.error(decided.code, decided.message, rid);
      return;
    }
    data = decided.value;
  }
  const user = session.user!;
  const started = performance.now();
  let result;
  try {
    result = await hub.broker.publish(channel, data, publishOptions(config, user, session.id, echo, id, key));
  } catch (err) {
    brokerFailed(session, err, rid);
    return;
  }
  hub.observer.brokerLatency?.('publish', performance.now() - started);
  emitPublication(hub.events, config.webhookPublications, { channel, data, result, sender: user, id });
  session.reply(rid, { channel, epoch: result.epoch, offset: result.offset, duplicate: result.duplicate });
}

/**
 * The broker options of a client's publish. Optimisation (bench/RESULTS.md, logic-notes): set field by field, where
 * conditional spreads (`...(id === undefined ? {} : { id })`) allocated about 300 bytes per publish.
 */
function publishOptions(
  config: NamespaceConfig,
  user: string,
  connection: string,
  echo: boolean,
  id: string | undefined,
  key: string | undefined,
): PublishOptions {
  const options: { -readonly [K in keyof PublishOptions]: PublishOptions[K] } = {
    historySize: config.historySize,
    historyTtlMs: config.historyTtlMs,
    sender: user,
  };
  if (!echo) options.exceptConnection = connection;
  // docs/protocol.md §8: ids are deduplicated per publisher, so two users' ids never collide.
  if (id !== undefined) {
    options.id = id;
    options.idempotencyKey = `${user}\u0000${id}`;
  }
  if (key !== undefined) options.key = key;
  if (config.snapshot) options.latestMaxKeys = config.snapshotMaxKeys;
  return options;
}
