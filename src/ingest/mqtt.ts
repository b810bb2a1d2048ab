// Ingest: the MQTT source (mqtt.js, MQTT 5). A persistent session (clean start off, a session expiry) subscribed at
// QoS 1; the PUBACK of each message is held back (`customHandleAcks`) until the runner says the publication is
// stored, so the broker keeps and resends whatever was not stored. mqtt.js reconnects by itself and hands packets
// over one at a time, which keeps each topic's order.
import { createHash } from 'node:crypto';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { sleep } from './reconnect-delay.ts';
import type { Source, SourceMessage, SourceStatus } from './source.ts';

/** MQTT 5 PUBACK reason code "Success". */
const PUBACK_SUCCESS = 0;

/** How long `close` lets a connection finish its outgoing packets before it is cut. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Options of an `mqtt` source, as in the `ingest` config (`source: { kind: 'mqtt', ... }`). */
export const mqttSourceOptionsSchema = z.strictObject({
  kind: z.literal('mqtt'),
  /** Broker URL, credentials in it if any: `mqtt://127.0.0.1:1883`, `mqtts://user:pass@host:8883`. */
  url: z
    .string()
    .regex(/^(mqtts?|wss?):\/\/[^/\s]+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .refine((url) => URL.canParse(url), 'is not a valid URL'),
  /** Topic filters to subscribe (`prices/#`, `sensors/+/temp`). */
  topics: z
    .array(
      z
        .string()
        .min(1)
        .max(65_535)
        .refine((t) => /^(#|([^#+]*|\+)(\/([^#+]*|\+))*(\/#)?)$/.test(t), 'is not a valid MQTT topic filter'),
    )
    .min(1)
    .max(100),
  /**
   * The session's client id: the broker keeps the session (subscriptions and unacknowledged messages) under it, so
   * it must be stable across restarts and unique per node (two nodes with one id take the session from each other).
   */
  clientId: z.string().min(1).max(256),
  /** Subscription QoS. Only 1: at-least-once with a PUBACK after the store is what the ingest guarantees rest on. */
  qos: z.literal(1).default(1),
  /** Topic that poison messages are published to (QoS 1, user properties `reason`, `connector`, `topic`) before their PUBACK. */
  deadLetterTopic: z
    .string()
    .min(1)
    .max(65_535)
    .refine((t) => !/[#+]/.test(t), 'must not contain wildcards')
    .optional(),
  /**
   * How long the broker keeps the session while this source is disconnected (MQTT 5 session expiry). Messages
   * published meanwhile wait in it (within the broker's own queue limit). Default one day.
   */
  sessionExpirySeconds: z.number().int().min(1).max(4_294_967_294).default(86_400),
  /** Unacknowledged QoS 1 messages the broker may send ahead (MQTT 5 receive maximum): the source's memory bound. Default 100. */
  receiveMaximum: z.number().int().min(1).max(65_535).default(100),
  /** Wait before a reconnect attempt after a lost connection (mqtt.js `reconnectPeriod`). Default 1 s. */
  reconnectPeriodMs: z.number().int().min(10).max(600_000).default(1_000),
  /** Wait before a message given back with `retry()` is handed over again. Default 1 s. */
  retryDelayMs: z.number().int().min(0).max(600_000).default(1_000),
  /**
   * Keepalive interval (seconds). The source reads nothing while a message is held (paused or retried), so the
   * connection is re-established once a hold outlasts about 1.5 of it; the broker then resends the held messages.
   * Default 60.
   */
  keepaliveSeconds: z.number().int().min(0).max(65_535).default(60),
});

/** Parsed `mqtt` source options (defaults applied). */
export type MqttSourceOptions = z.output<typeof mqttSourceOptionsSchema>;

/**
 * Creates an MQTT source. Nothing connects until `start`.
 * @param name The connector's name (logs, metrics, dead-letter user property).
 * @param options `mqtt` options (validated here; invalid ones throw a ZodError naming the field).
 */
export function createMqttSource(name: string, options: z.input<typeof mqttSourceOptionsSchema>): Source {
  return new MqttSource(name, mqttSourceOptionsSchema.parse(options));
}

/** How the runner settled a message. */
type Outcome = 'ack' | 'retry' | { readonly deadLetter: string };

class MqttSource implements Source {
  readonly kind = 'mqtt';
  readonly name: string;
  private readonly options: MqttSourceOptions;
  private client: MqttClient | null = null;
  /**
   * A second connection for dead-letter publishes: its PUBACKs must not queue behind the held message on the
   * consuming connection, which reads nothing until that message is settled.
   */
  private deadLetterClient: MqttClient | null = null;
  private deliver: ((message: SourceMessage) => Promise<void>) | null = null;
  /** Bumped on every (re)connect: a message held across a reconnect is abandoned, the broker sends it again. */
  private epoch = 0;
  private connectedOnce = false;
  private subscribed = false;
  private paused = false;
  private closed = false;
  private lastError: string | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private resumed: { promise: Promise<void>; resolve: () => void } = settledGate();
  private readonly abort = new AbortController();

  constructor(name: string, options: MqttSourceOptions) {
    this.name = name;
    this.options = options;
  }

  async start(deliver: (message: SourceMessage) => Promise<void>): Promise<void> {
    if (this.deliver !== null) throw new Error(`Ingest source "${this.name}" is already started`);
    this.deliver = deliver;
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: 5,
      clean: false,
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: o.reconnectPeriodMs,
      resubscribe: true,
      properties: { sessionExpiryInterval: o.sessionExpirySeconds, receiveMaximum: o.receiveMaximum },
      customHandleAcks: (topic, payload, packet: IPublishPacket, done) => {
        const epoch = this.epoch;
        const handled = this.handle(topic, payload, packet, epoch).then((code) => {
          // After a reconnect the packet id belongs to the old connection: the broker resends the message instead.
          if (code !== null && epoch === this.epoch) done(code);
        });
        this.inFlight = handled;
      },
    };
    const client = connect(o.url, clientOptions);
    this.client = client;
    if (o.deadLetterTopic !== undefined) {
      this.deadLetterClient = connect(o.url, {
        clientId: `${o.clientId}-dead-letter`,
        protocolVersion: 5,
        reconnectPeriod: o.reconnectPeriodMs,
      });
      this.deadLetterClient.on('error', () => {});
    }
    // QoS 0 (a publisher's QoS caps the subscription's) has no acknowledgement: handed over as it comes.
    const defaultHandleMessage = client.handleMessage.bind(client);
    client.handleMessage = (packet, callback) => {
      if (packet.qos !== 0) {
        defaultHandleMessage(packet, callback);
        return;
      }
      void this.handleUnacknowledged(packet).then(() => callback());
    };
    client.on('connect', (connack) => {
      this.epoch++;
      this.connectedOnce = true;
      this.lastError = undefined;
      // mqtt.js subscribes again on a reconnect without a session; the first time (or a session that expired while
      // this process was down) is ours.
      if (!this.subscribed || !connack.sessionPresent) void this.subscribe(client);
    });
    client.on('close', () => {
      this.epoch++;
    });
    client.on('error', (err) => {
      this.lastError = errorMessage(err);
    });
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        client.off('connect', settle);
        client.off('error', settle);
        client.off('close', settle);
        resolve();
      };
      client.once('connect', settle);
      client.once('error', settle);
      client.once('close', settle);
    });
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.resumed = openGate();
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.resumed.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.resumed.resolve();
    // The message being published settles (its PUBACK goes out) unless it waits on a connection that is down.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.inFlight, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    for (const client of [this.client, this.deadLetterClient]) {
      if (client === null) continue;
      const forced = setTimeout(() => client.end(true), CLOSE_TIMEOUT_MS);
      await client.endAsync().catch(() => {});
      clearTimeout(forced);
    }
  }

  status(): SourceStatus {
    const connected = this.client?.connected === true && this.subscribed;
    const state: SourceStatus['state'] = this.closed
      ? 'closed'
      : !connected
        ? this.connectedOnce || this.lastError !== undefined
          ? 'down'
          : 'connecting'
        : this.paused
          ? 'paused'
          : 'running';
    return { state, ...(this.lastError === undefined ? {} : { lastError: this.lastError }) };
  }

  private async subscribe(client: MqttClient): Promise<void> {
    try {
      const grants = await client.subscribeAsync(
        Object.fromEntries(this.options.topics.map((t) => [t, { qos: this.options.qos }])),
      );
      const refused = grants.filter((g) => g.qos > this.options.qos);
      if (refused.length > 0) {
        this.lastError = `subscription refused: ${refused.map((g) => `${g.topic} (${g.qos})`).join(', ')}`;
        return;
      }
      this.subscribed = true;
    } catch (err) {
      this.lastError = errorMessage(err);
    }
  }

  /**
   * Hands one QoS 1 message over until the runner settles it, holding it (no PUBACK, nothing else read) while paused
   * or given back. Resolves with the PUBACK reason code, or null when it must not be acknowledged on this connection.
   */
  private async handle(topic: string, payload: Buffer, packet: IPublishPacket, epoch: number): Promise<number | null> {
    while (!this.closed && epoch === this.epoch) {
      if (this.paused) {
        await this.resumed.promise;
        continue;
      }
      const outcome = await this.handOver(topic, payload, packet);
      if (outcome === 'ack') return PUBACK_SUCCESS;
      if (outcome !== 'retry') {
        if (await this.publishDeadLetter(topic, payload, outcome.deadLetter)) return PUBACK_SUCCESS;
      }
      await sleep(this.options.retryDelayMs, this.abort.signal);
    }
    return null;
  }

  private async handleUnacknowledged(packet: IPublishPacket): Promise<void> {
    if (this.paused) await this.resumed.promise;
    if (this.closed) return;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const outcome = await this.handOver(packet.topic, payload, packet);
    if (typeof outcome === 'object') await this.publishDeadLetter(packet.topic, payload, outcome.deadLetter);
  }

  private async handOver(topic: string, payload: Buffer, packet: IPublishPacket): Promise<Outcome> {
    let outcome: Outcome | null = null;
    const settle = (o: Outcome) => async (): Promise<void> => {
      outcome ??= o;
    };
    const headers = userProperties(packet);
    const message: SourceMessage = {
      position: mqttPosition(topic, payload, headers['id']),
      subject: topic,
      payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
      headers,
      ack: settle('ack'),
      retry: settle('retry'),
      deadLetter: async (reason) => {
        outcome ??= { deadLetter: reason };
      },
    };
    try {
      await this.deliver!(message);
    } catch {
      // Failed without settling: held and handed over again, nothing lost.
    }
    return outcome ?? 'retry';
  }

  /** Publishes a poison message to the dead-letter topic (QoS 1, confirmed); true when there is none to publish to. */
  private async publishDeadLetter(topic: string, payload: Buffer, reason: string): Promise<boolean> {
    const target = this.options.deadLetterTopic;
    if (target === undefined || this.deadLetterClient === null) return true;
    try {
      await this.deadLetterClient.publishAsync(target, payload, {
        qos: 1,
        properties: { userProperties: { reason, connector: this.name, topic } },
      });
      return true;
    } catch (err) {
      this.lastError = errorMessage(err);
      return false;
    }
  }
}

/**
 * A hash of topic and payload (and the MQTT 5 user property `id` when the publisher set one): MQTT has no message id
 * that survives a redelivery, so the content is the identity. Two identical messages on one topic are one message
 * to the idempotency window unless the publisher tells them apart with an `id` property or a field in the payload.
 */
export function mqttPosition(topic: string, payload: Uint8Array, id?: string): string {
  const hash = createHash('sha256').update(topic).update('\n').update(payload);
  if (id !== undefined) hash.update('\n').update(id);
  return hash.digest('hex');
}

function userProperties(packet: IPublishPacket): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(packet.properties?.userProperties ?? {})) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

function settledGate(): { promise: Promise<void>; resolve: () => void } {
  return { promise: Promise.resolve(), resolve: () => {} };
}

function openGate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\/\/[^@/\s]*@/g, '//***@');
}
