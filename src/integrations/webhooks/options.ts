// Webhooks: the options of one endpoint, their defaults and checks.
import { REALTIME_EVENT_NAMES, type RealtimeEventName } from '../../realtime/index.ts';

/** One webhook endpoint: where, with which secret, which events, and how delivery behaves. */
export interface WebhookEndpointOptions {
  /** `http://` or `https://` URL the batches are POSTed to. */
  readonly url: string;
  /** Secret of the `Switchboard-Signature` HMAC (at least 16 characters). */
  readonly secret: string;
  /** The events sent there (realtime event names); at least one. */
  readonly events: readonly RealtimeEventName[];
  /**
   * Most events in one POST.
   * @default 100 - one request carries a burst of presence changes, the body stays far below common receiver limits
   */
  readonly maxBatchSize?: number;
  /**
   * Longest an event waits for companions before its batch leaves, in ms.
   * @default 1000 - a receiver sees changes within a second, and a burst costs one request, not hundreds
   */
  readonly maxWaitMs?: number;
  /**
   * Events waiting for this endpoint (besides the batch in flight). When full, the OLDEST waiting event is dropped
   * and counted as dead-lettered: a receiver that comes back gets the most recent state, in order.
   * @default 10000 - about 10 MB of small events: a receiver down for minutes under steady traffic loses nothing
   */
  readonly maxQueuedEvents?: number;
  /**
   * Bytes of serialized events waiting for this endpoint; beyond it the oldest waiting events are dead-lettered too
   * (the newest one always stays). Bounds memory when events are large (publications up to the message size limit).
   * @default 16777216 (16 MiB) - ten thousand events of 1.6 KB; far fewer of the largest publications
   */
  readonly maxQueuedBytes?: number;
  /**
   * Deadline of one POST (connect, send, answer), in ms; a receiver that misses it counts as a failed attempt.
   * @default 10000 - generous for a receiver that stores the batch and answers, short enough that a hung one does not stall delivery for long
   */
  readonly timeoutMs?: number;
  /**
   * Attempts per batch before it is dead-lettered (a receiver that keeps refusing it).
   * @default 20 - with the default backoff, about 15 minutes of retries
   */
  readonly maxAttempts?: number;
  /**
   * Delay before the first retry, in ms; it doubles per attempt, with jitter.
   * @default 1000
   */
  readonly initialBackoffMs?: number;
  /**
   * Longest delay between two attempts, in ms.
   * @default 60000 - a receiver back from an outage gets its events within a minute
   */
  readonly maxBackoffMs?: number;
}

/** An endpoint's options with defaults applied. */
export type ResolvedEndpointOptions = Required<WebhookEndpointOptions>;

/** Defaults of {@link WebhookEndpointOptions}. */
export const WEBHOOK_DEFAULTS = Object.freeze({
  maxBatchSize: 100,
  maxWaitMs: 1000,
  maxQueuedEvents: 10_000,
  maxQueuedBytes: 16 * 1024 * 1024,
  timeoutMs: 10_000,
  maxAttempts: 20,
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
});

/** Shortest accepted secret: shorter ones are guessable offline from one signed body. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

function positiveInt(where: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`Cannot use webhook ${where} "${value}": expected a positive integer`);
  return value;
}

/**
 * Applies defaults and checks an endpoint's options.
 * @param options As given.
 * @returns The complete options.
 * @throws {RangeError} Naming the bad field.
 */
export function resolveEndpointOptions(options: WebhookEndpointOptions): ResolvedEndpointOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new RangeError(`Cannot use webhook url "${options.url}": not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RangeError(`Cannot use webhook url "${options.url}": expected http:// or https://`);
  if (typeof options.secret !== 'string' || options.secret.length < MIN_WEBHOOK_SECRET_LENGTH)
    throw new RangeError(`Cannot use the webhook secret of ${url.origin}: expected at least 16 characters`);
  if (options.events.length === 0) throw new RangeError(`Cannot use webhook ${url.origin}: no events listed`);
  for (const name of options.events) {
    if (!REALTIME_EVENT_NAMES.includes(name))
      throw new RangeError(`Cannot use webhook event "${name}": expected one of ${REALTIME_EVENT_NAMES.join(', ')}`);
  }
  const resolved: ResolvedEndpointOptions = {
    url: options.url,
    secret: options.secret,
    events: [...new Set(options.events)],
    maxBatchSize: positiveInt('maxBatchSize', options.maxBatchSize ?? WEBHOOK_DEFAULTS.maxBatchSize),
    maxWaitMs: positiveInt('maxWaitMs', options.maxWaitMs ?? WEBHOOK_DEFAULTS.maxWaitMs),
    maxQueuedEvents: positiveInt('maxQueuedEvents', options.maxQueuedEvents ?? WEBHOOK_DEFAULTS.maxQueuedEvents),
    maxQueuedBytes: positiveInt('maxQueuedBytes', options.maxQueuedBytes ?? WEBHOOK_DEFAULTS.maxQueuedBytes),
    timeoutMs: positiveInt('timeoutMs', options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs),
    maxAttempts: positiveInt('maxAttempts', options.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts),
    initialBackoffMs: positiveInt('initialBackoffMs', options.initialBackoffMs ?? WEBHOOK_DEFAULTS.initialBackoffMs),
    maxBackoffMs: positiveInt('maxBackoffMs', options.maxBackoffMs ?? WEBHOOK_DEFAULTS.maxBackoffMs),
  };
  if (resolved.maxBackoffMs < resolved.initialBackoffMs)
    throw new RangeError('Cannot use webhook maxBackoffMs below initialBackoffMs');
  return resolved;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): exponential, capped, with "equal jitter" (half
 * fixed, half random), so a fleet of nodes retrying one receiver spreads out but never retries sooner than half the
 * nominal delay.
 * @param attempt Failed attempts so far (1 or more).
 * @param options Initial and largest delay.
 * @param random A number in [0, 1).
 * @returns The delay in ms, at most `maxBackoffMs`.
 */
export function backoffDelayMs(
  attempt: number,
  options: Pick<ResolvedEndpointOptions, 'initialBackoffMs' | 'maxBackoffMs'>,
  random: number = Math.random(),
): number {
  const nominal = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(nominal / 2 + (random * nominal) / 2);
}
