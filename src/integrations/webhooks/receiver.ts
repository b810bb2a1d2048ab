// Webhooks, the receiver's side: verify a delivery's signature and read its events. The package's `switchboard/webhooks`
// entry: it loads nothing but node:crypto, so a receiver does not pull in the server.
import {
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  SIGNATURE_HEADER,
  verifySignature,
  type SignatureFailure,
} from '../signature.ts';

export {
  apiSignedPayload,
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
} from '../signature.ts';
export type { SignatureCheck, SignatureFailure, VerifyOptions } from '../signature.ts';

/** One delivered event: `id` (unique, for deduplication), `type`, `time` (ms since the epoch) and its payload. */
export interface WebhookEvent {
  readonly id: string;
  readonly type: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** Why a delivery was refused: the signature's reasons, or a signed body that is not a batch of events. */
export type WebhookFailureReason = SignatureFailure | 'invalid_body';

/** Thrown by {@link verifyWebhook}; `reason` says why, for a log line or a metric. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookFailureReason;

  /**
   * @param reason Why.
   * @param message What to log.
   */
  constructor(reason: WebhookFailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Headers as Node's `IncomingHttpHeaders`, a fetch `Headers`, or a plain record (any letter case). */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Largest clock difference accepted, in seconds. @default 300 */
  readonly toleranceSec?: number;
  /** The verifier's clock, in ms since the epoch (tests). @default Date.now() */
  readonly nowMs?: number;
}

const MESSAGES: Record<WebhookFailureReason, string> = {
  missing: `Cannot verify the webhook: no ${SIGNATURE_HEADER} header`,
  malformed: `Cannot verify the webhook: the ${SIGNATURE_HEADER} header is malformed`,
  stale: 'Cannot verify the webhook: its timestamp is outside the tolerance (replayed, or a clock is wrong)',
  mismatch: 'Cannot verify the webhook: the signature does not match (wrong secret, or the body was changed)',
  invalid_body: 'Cannot read the webhook: the signed body is not {"events": [...]}',
};

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() !== lower) continue;
    const value = record[key];
    // Several copies of the header: refuse rather than pick one (it is malformed as sent).
    if (Array.isArray(value)) return value.length === 1 ? value[0] : ',';
    return value as string | undefined;
  }
  return undefined;
}

/**
 * Verifies a webhook delivery and returns its events. Pass the body exactly as received (the raw bytes or string, not
 * a re-serialized object). Deduplicate on each event's `id`: a batch whose answer was lost is delivered again.
 * @param secret The endpoint's secret, or several during a rotation.
 * @param headers The request's headers.
 * @param body The raw body.
 * @param options Tolerance and clock.
 * @returns The events, in the order they happened on the sending node.
 * @throws {WebhookVerificationError} With `reason` `missing`, `malformed`, `stale`, `mismatch` or `invalid_body`.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): WebhookEvent[] {
  const check = verifySignature(secret, headerValue(headers, SIGNATURE_HEADER), body, {
    toleranceSec: options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC,
    ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
  });
  if (!check.ok) throw new WebhookVerificationError(check.reason, MESSAGES[check.reason]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new WebhookVerificationError('invalid_body', MESSAGES.invalid_body);
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  if (
    !Array.isArray(events) ||
    !events.every(
      (e: unknown) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as WebhookEvent).id === 'string' &&
        typeof (e as WebhookEvent).type === 'string' &&
        typeof (e as WebhookEvent).time === 'number',
    )
  ) {
    throw new WebhookVerificationError('invalid_body', MESSAGES.invalid_body);
  }
  return events as WebhookEvent[];
}
