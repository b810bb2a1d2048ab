// Integrations: the HMAC-SHA256 signature every HTTP exchange between Switchboard and a backend carries (proxy
// requests, webhooks, signed API calls): `Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC of "t.body">`.
// The timestamp bounds a replay to the tolerance window; a receiver that must refuse replays inside the window
// also remembers the signatures it accepted (see the signed API).
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature (HTTP header names are case-insensitive). */
export const SIGNATURE_HEADER = 'Switchboard-Signature';

/** Default tolerance between the signer's clock and the verifier's, in seconds (5 minutes, as Stripe and Pusher). */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** Longest header value accepted: a timestamp plus a handful of v1 signatures (secret rotation). */
const MAX_HEADER_LENGTH = 1024;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The HMAC-SHA256 of `t.body`, in hex.
 * @param secret The shared secret (a KeyObject made once from its UTF-8 bytes signs the same, with less work per call).
 * @param timestampSec Unix time in seconds.
 * @param body The exact bytes (or string) sent.
 */
function mac(secret: string | KeyObject, timestampSec: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/**
 * Signs a body.
 * @param secret The shared secret.
 * @param body The exact bytes (or string) that will be sent.
 * @param timestampSec Unix time in seconds. @default now
 * @returns The `Switchboard-Signature` header value: `t=<unix>,v1=<hex>`.
 */
export function signBody(
  secret: string | KeyObject,
  body: string | Uint8Array,
  timestampSec: number = Math.floor(Date.now() / 1000),
): string {
  return `t=${timestampSec},v1=${mac(secret, timestampSec, body)}`;
}

/** Why a signature was refused: a bounded set, safe as a metric label. */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

/** The outcome of {@link verifySignature}. */
export type SignatureCheck =
  | { readonly ok: true; readonly timestampSec: number; readonly signature: string }
  | { readonly ok: false; readonly reason: SignatureFailure };

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  /** Largest difference between the header's timestamp and now, in seconds. @default 300 */
  readonly toleranceSec?: number;
  /** The verifier's clock, in ms since the epoch (tests). @default Date.now() */
  readonly nowMs?: number;
}

/**
 * Verifies a `Switchboard-Signature` header against a body, in constant time per candidate.
 * @param secrets The shared secret, or several during a rotation (any one matching is enough).
 * @param header The header value (null or undefined when absent).
 * @param body The exact bytes (or string) received.
 * @param options Tolerance and clock.
 * @returns ok with the timestamp and the matching signature, or the reason of the refusal.
 */
export function verifySignature(
  secrets: string | readonly string[],
  header: string | null | undefined,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): SignatureCheck {
  if (header === null || header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (header.length > MAX_HEADER_LENGTH) return { ok: false, reason: 'malformed' };
  let timestampSec: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestampSec !== null || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestampSec = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(value);
    }
    // Other schemes (a future v2) are ignored, so a signer can send both during a migration.
  }
  if (timestampSec === null || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const toleranceSec = options.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const nowSec = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestampSec) > toleranceSec) return { ok: false, reason: 'stale' };
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = Buffer.from(mac(secret, timestampSec, body), 'hex');
    for (const candidate of candidates) {
      if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) {
        return { ok: true, timestampSec, signature: candidate };
      }
    }
  }
  return { ok: false, reason: 'mismatch' };
}

/** Separates the method, the request target and the body in a signed API request's string. */
export const API_SIGNATURE_SEPARATOR = '.';

/**
 * What a signed `/api/*` request signs besides the timestamp: `METHOD.target.body`, so the full signed string is
 * `t.METHOD.target.body` (`1733300000.POST./api/publish.{"channel":...}`). Binding the method and the target means a
 * captured request cannot be replayed against another endpoint. Sign it with {@link signBody}, check it with
 * {@link verifySignature}, exactly as a body.
 * @param method The HTTP method, upper case (`POST`, `GET`).
 * @param target The request target as sent: the path and the query string, if any (`/api/stats?x=1`).
 * @param body The exact body bytes (empty for a GET).
 * @returns The payload to pass as `body` to signBody / verifySignature.
 */
export function apiSignedPayload(method: string, target: string, body: string | Uint8Array): string | Uint8Array {
  const head = `${method.toUpperCase()}${API_SIGNATURE_SEPARATOR}${target}${API_SIGNATURE_SEPARATOR}`;
  if (typeof body === 'string') return head + body;
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}
