// Ingest: the runner. For each message a source delivers: size check, decode, channel and key templates, publish
// through the realtime server with the position as idempotency key, and only then acknowledge at the source. Poison
// is dead-lettered and counted; a broker refusal gives the message back, pauses the source, probes the broker with
// backoff and resumes. The runner keeps nothing in memory per message: sources hand over one message at a time per
// ordered partition and wait for it to settle, so in-flight work is bounded by the sources' own windows.
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerError } from '../broker/index.ts';
import type { JsonValue } from '../messages/index.ts';
import { InvalidPayloadError, type RealtimeServer } from '../realtime/index.ts';
import { decodePayload } from './codecs.ts';
import type { Mapping } from './mapping.ts';
import type { Source, SourceMessage, SourceStatus } from './source.ts';
import { renderTemplate } from './templates.ts';

/** Why a message was dead-lettered. */
export const POISON_REASONS = [
  /** Larger than the mapping's `maxPayloadBytes`. */
  'too_large',
  /** The codec could not decode it, or it decoded to something JSON cannot carry. */
  'undecodable',
  /** The channel template did not render, or rendered a channel that is invalid or in no configured namespace. */
  'no_channel',
  /** The key template did not render. */
  'no_key',
  /** The namespace's payload schema refused the data. */
  'invalid_payload',
] as const;
export type PoisonReason = (typeof POISON_REASONS)[number];

/** What happened to a message, as counted per connector (`switchboard_ingest_messages_total{outcome}`). */
export const INGEST_OUTCOMES = ['received', 'published', 'duplicate', 'dead_lettered', 'error'] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

/** Where the runner reports what it does (cli wires metrics and logs to it). Every method is optional. */
export interface IngestObserver {
  /** A message reached an outcome (`received` first, then one of the others; `error` may repeat per retry). */
  counted?(connector: string, outcome: IngestOutcome): void;
  /** A poison message was dead-lettered. */
  deadLettered?(connector: string, reason: PoisonReason, detail: string, position: string): void;
  /** The broker refused a publish: the connector pauses until it accepts again. */
  paused?(connector: string, error: Error): void;
  /** The broker answers again: the connector resumes after `pausedMs`. */
  resumed?(connector: string, pausedMs: number): void;
  /** An acknowledgement, retry or dead-letter call at the source failed (the source will redeliver). */
  failed?(connector: string, operation: 'ack' | 'retry' | 'dead_letter' | 'publish', error: unknown): void;
}

/** One connector: a source and what to do with its messages. */
export interface IngestConnector {
  readonly mapping: Mapping;
  readonly source: Source;
}

/** What the runner needs of the realtime server: the server-side publish and the broker's health. */
export type IngestTarget = Pick<RealtimeServer, 'publish'> & {
  readonly broker: { health(): Promise<{ readonly ok: boolean }> };
};

/** Options of {@link IngestRunner}. */
export interface IngestRunnerOptions {
  /** The realtime server publications go through. */
  readonly server: IngestTarget;
  readonly connectors: readonly IngestConnector[];
  readonly observer?: IngestObserver;
  /**
   * First wait before probing a broker that refused a publish, in ms; doubles per failed probe.
   * @default 100 (a Redis failover takes longer; a blip is over by then)
   */
  readonly probeInitialMs?: number;
  /**
   * Longest wait between probes, in ms.
   * @default 5000 (an outage is noticed over within seconds, without a probe storm)
   */
  readonly probeMaxMs?: number;
}

/** A connector's entry in `/health` (`ingest.<name>`). */
export interface ConnectorStatus {
  readonly kind: string;
  readonly state: SourceStatus['state'];
  readonly received: number;
  readonly published: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly errors: number;
  readonly lag?: number;
  readonly lastError?: string;
}

type Prepared =
  | { readonly ok: true; readonly channel: string; readonly data: JsonValue; readonly key: string | undefined }
  | { readonly ok: false; readonly reason: PoisonReason; readonly detail: string };

/** One connector at run time: counters, the pause state and the message handler. */
class ConnectorRun {
  received = 0;
  published = 0;
  duplicates = 0;
  deadLettered = 0;
  errors = 0;
  lastError: string | undefined;
  #failures = 0;
  #probing = false;
  readonly #abort = new AbortController();

  readonly connector: IngestConnector;
  readonly options: IngestRunnerOptions;

  constructor(connector: IngestConnector, options: IngestRunnerOptions) {
    this.connector = connector;
    this.options = options;
  }

  get name(): string {
    return this.connector.mapping.name;
  }

  readonly handle = async (message: SourceMessage): Promise<void> => {
    this.#count('received');
    this.received++;
    const prepared = this.#prepare(message);
    if (!prepared.ok) return this.#deadLetter(message, prepared.reason, prepared.detail);
    let duplicate: boolean;
    try {
      const result = await this.options.server.publish(prepared.channel, prepared.data, {
        id: `${this.name}:${message.position}`,
        ...(prepared.key === undefined ? {} : { key: prepared.key }),
      });
      duplicate = result.duplicate;
    } catch (err) {
      if (err instanceof RangeError) return this.#deadLetter(message, 'no_channel', err.message);
      if (err instanceof InvalidPayloadError) return this.#deadLetter(message, 'invalid_payload', err.message);
      // The broker refused (or something unexpected failed): never lose the message, give it back and hold the source.
      this.#error(err, 'publish');
      try {
        await message.retry();
      } catch (retryErr) {
        this.options.observer?.failed?.(this.name, 'retry', retryErr);
      }
      this.#pause(err instanceof Error ? err : new BrokerError(String(err), { code: 'BROKER_UNAVAILABLE' }));
      return;
    }
    this.#failures = 0;
    if (duplicate) {
      this.duplicates++;
      this.#count('duplicate');
    } else {
      this.published++;
      this.#count('published');
    }
    try {
      await message.ack();
    } catch (err) {
      // Stored but not acknowledged: the source redelivers it and the idempotency key makes it a duplicate.
      this.#error(err, 'ack');
    }
  };

  #prepare(message: SourceMessage): Prepared {
    const mapping = this.connector.mapping;
    if (message.payload.byteLength > mapping.maxPayloadBytes)
      return {
        ok: false,
        reason: 'too_large',
        detail: `${message.payload.byteLength} bytes, over maxPayloadBytes ${mapping.maxPayloadBytes}`,
      };
    const decoded = decodePayload(mapping.codec, message.payload);
    if (!decoded.ok) return { ok: false, reason: 'undecodable', detail: decoded.detail };
    const input = {
      subject: message.subject,
      separator: mapping.separator,
      payload: decoded.value,
      headers: message.headers,
    };
    const channel = renderTemplate(mapping.channel, input);
    if (!channel.ok) return { ok: false, reason: 'no_channel', detail: `channel ${channel.detail}` };
    let key: string | undefined;
    if (mapping.key !== null) {
      const rendered = renderTemplate(mapping.key, input);
      if (!rendered.ok) return { ok: false, reason: 'no_key', detail: `key ${rendered.detail}` };
      key = rendered.value;
    }
    return { ok: true, channel: channel.value, data: decoded.value, key };
  }

  async #deadLetter(message: SourceMessage, reason: PoisonReason, detail: string): Promise<void> {
    this.deadLettered++;
    this.#count('dead_lettered');
    this.options.observer?.deadLettered?.(this.name, reason, detail, message.position);
    try {
      await message.deadLetter(`${reason}: ${detail}`);
    } catch (err) {
      this.#error(err, 'dead_letter');
    }
  }

  #error(err: unknown, operation: 'ack' | 'retry' | 'dead_letter' | 'publish'): void {
    this.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
    this.#count('error');
    this.options.observer?.failed?.(this.name, operation, err);
  }

  #count(outcome: IngestOutcome): void {
    this.options.observer?.counted?.(this.name, outcome);
  }

  get paused(): boolean {
    return this.#probing;
  }

  #pause(error: Error): void {
    this.#failures++;
    if (this.#probing || this.#abort.signal.aborted) return;
    this.#probing = true;
    this.connector.source.pause();
    this.options.observer?.paused?.(this.name, error);
    void this.#probe(Date.now());
  }

  async #probe(since: number): Promise<void> {
    const initial = this.options.probeInitialMs ?? 100;
    const max = this.options.probeMaxMs ?? 5000;
    // Consecutive refusals grow the first wait too, so a broker that answers PING but refuses writes is not hammered.
    let delay = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 16));
    const signal = this.#abort.signal;
    try {
      for (;;) {
        await sleep(delay, undefined, { signal });
        const health = await this.options.server.broker.health().catch(() => ({ ok: false }));
        if (health.ok) break;
        delay = Math.min(max, delay * 2);
      }
    } catch {
      return; // closed while paused
    } finally {
      this.#probing = false;
    }
    this.connector.source.resume();
    this.options.observer?.resumed?.(this.name, Date.now() - since);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.connector.source.close();
  }

  status(): ConnectorStatus {
    const s = this.connector.source.status();
    const lastError = this.lastError ?? s.lastError;
    return {
      kind: this.connector.source.kind,
      state: this.#probing && s.state !== 'closed' ? 'paused' : s.state,
      received: this.received,
      published: this.published,
      duplicates: this.duplicates,
      deadLettered: this.deadLettered,
      errors: this.errors,
      ...(s.lag === undefined ? {} : { lag: s.lag }),
      ...(lastError === undefined ? {} : { lastError }),
    };
  }
}

/**
 * Runs ingest connectors into a realtime server.
 *
 * @example
 * const runner = new IngestRunner({ server: hub, connectors: [{ mapping, source }] });
 * await runner.start();
 * // ...
 * await runner.close(); // in-flight messages settle, sources disconnect
 */
export class IngestRunner {
  readonly #runs: ConnectorRun[];
  #started = false;

  constructor(options: IngestRunnerOptions) {
    const names = new Set<string>();
    for (const c of options.connectors) {
      if (names.has(c.mapping.name)) throw new RangeError(`Duplicate ingest connector name: ${c.mapping.name}`);
      names.add(c.mapping.name);
    }
    this.#runs = options.connectors.map((c) => new ConnectorRun(c, options));
  }

  /**
   * Starts every source (connects and begins delivering). A source that cannot connect yet keeps retrying on its
   * own and reports `down`/`connecting`; this resolves once each source's `start` resolved.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('IngestRunner already started');
    this.#started = true;
    await Promise.all(this.#runs.map((run) => run.connector.source.start(run.handle)));
  }

  /** Stops every source: in-flight messages finish (published and acknowledged, or given back), then they disconnect. */
  async close(): Promise<void> {
    await Promise.all(this.#runs.map((run) => run.close()));
  }

  /** Each connector's state and counters, by name (the `ingest` entry of `/health`). */
  status(): Record<string, ConnectorStatus> {
    return Object.fromEntries(this.#runs.map((run) => [run.name, run.status()]));
  }
}
