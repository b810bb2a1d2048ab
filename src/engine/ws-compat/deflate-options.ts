// Node binding: maps ws's `perMessageDeflate` option (true or an object) to the engine's permessage-deflate options.
import type { PerMessageDeflateClientOptions, PerMessageDeflateServerOptions } from '../deflate.ts';

/** ws's `perMessageDeflate` object. The zlib tuning objects are accepted and ignored (the engine owns zlib). */
export interface WsPerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  /** A number, or (client) `true` to offer the parameter without a value. */
  clientMaxWindowBits?: number | boolean;
  /** Messages below this many bytes are not compressed. @default 1024 (ws and the engine) */
  threshold?: number;
  /** zlib jobs in flight in the whole process. @default 10 (ws and the engine) */
  concurrencyLimit?: number;
  zlibDeflateOptions?: object;
  zlibInflateOptions?: object;
}

/**
 * ws server semantics: `false`/absent declines every offer, `true` accepts with the defaults, an
 * object narrows what is accepted.
 * @param value - ws's option
 * @returns the engine's option
 */
export function toEngineServerDeflate(
  value: boolean | WsPerMessageDeflateOptions | undefined,
): boolean | PerMessageDeflateServerOptions {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  const out: PerMessageDeflateServerOptions = {};
  if (value.serverNoContextTakeover !== undefined) out.serverNoContextTakeover = value.serverNoContextTakeover;
  if (value.clientNoContextTakeover !== undefined) out.clientNoContextTakeover = value.clientNoContextTakeover;
  if (typeof value.serverMaxWindowBits === 'number') out.serverMaxWindowBits = value.serverMaxWindowBits;
  // ws's `clientMaxWindowBits: true` on a server means "whatever the client asks": the engine's default.
  if (typeof value.clientMaxWindowBits === 'number') out.clientMaxWindowBits = value.clientMaxWindowBits;
  if (value.threshold !== undefined) out.threshold = value.threshold;
  if (value.concurrencyLimit !== undefined) out.concurrency = value.concurrencyLimit;
  return out;
}

/**
 * ws client semantics: absent or `true` offers with the defaults (ws offers by default), `false`
 * makes no offer, an object shapes the offer.
 * @param value - ws's option
 * @returns the engine's option
 */
export function toEngineClientDeflate(
  value: boolean | WsPerMessageDeflateOptions | undefined,
): boolean | PerMessageDeflateClientOptions {
  if (value === false) return false;
  if (value === undefined || value === true) return true;
  const out: PerMessageDeflateClientOptions = {};
  if (value.serverNoContextTakeover !== undefined) out.serverNoContextTakeover = value.serverNoContextTakeover;
  if (value.clientNoContextTakeover !== undefined) out.clientNoContextTakeover = value.clientNoContextTakeover;
  if (typeof value.serverMaxWindowBits === 'number') out.serverMaxWindowBits = value.serverMaxWindowBits;
  if (value.clientMaxWindowBits !== undefined) out.clientMaxWindowBits = value.clientMaxWindowBits;
  if (value.threshold !== undefined) out.threshold = value.threshold;
  if (value.concurrencyLimit !== undefined) out.concurrency = value.concurrencyLimit;
  return out;
}
