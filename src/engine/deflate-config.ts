// Node binding: the `perMessageDeflate` options of servers and clients, validated once at construction.
import {
  acceptDeflateOffer,
  buildDeflateOffer,
  type DeflateClientOptions,
  type DeflateServerOptions,
} from '../protocol/index.ts';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.ts';

const DEFAULT_CONCURRENCY = 10;
/** Messages smaller than this are sent uncompressed (ws's default). */
export const DEFAULT_THRESHOLD = 1024;

/** Engine-side settings shared by both roles' `perMessageDeflate` options. */
export interface DeflateEngineOptions {
  /**
   * Messages smaller than this many bytes are sent uncompressed.
   * @default 1024, as ws: below about 1 KiB the deflate header and a thread-pool round trip cost more than they save
   */
  threshold?: number;
  /**
   * Most zlib jobs in flight in the whole process; every connection configured with the same value
   * shares one FIFO queue ({@link sharedZlibLimiter}).
   * @default 10, as ws: keeps libuv's 4 threads busy while leaving room for DNS and file I/O
   */
  concurrency?: number;
}

/** The server's `perMessageDeflate` option: what it accepts (RFC 7692 §7.1) plus engine settings. */
export interface PerMessageDeflateServerOptions extends DeflateServerOptions, DeflateEngineOptions {}

/** The client's `perMessageDeflate` option: what it offers (RFC 7692 §7.1) plus engine settings. */
export interface PerMessageDeflateClientOptions extends DeflateClientOptions, DeflateEngineOptions {}

/** A validated `perMessageDeflate` option. */
export interface DeflateConfig<N> {
  /** The negotiation part, as given to the protocol's negotiation functions. */
  readonly negotiation: N;
  readonly threshold: number;
  readonly limiter: ZlibLimiter;
}

function engineConfig<N>(negotiation: N, option: DeflateEngineOptions): DeflateConfig<N> {
  const threshold = option.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 0) {
    throw new RangeError(`Cannot use perMessageDeflate.threshold "${threshold}": expected a non-negative integer`);
  }
  return { negotiation, threshold, limiter: sharedZlibLimiter(option.concurrency ?? DEFAULT_CONCURRENCY) };
}

/**
 * Validates a server's `perMessageDeflate` option.
 * @param option - `false`/`undefined` (off), `true` (defaults) or the settings
 * @returns the settings, or null when compression is off
 * @throws RangeError for a window-bits value outside 8-15, a negative threshold or a concurrency below 1
 */
export function serverDeflateConfig(
  option: boolean | PerMessageDeflateServerOptions | undefined,
): DeflateConfig<DeflateServerOptions> | null {
  if (option === undefined || option === false) return null;
  const o: PerMessageDeflateServerOptions = option === true ? {} : option;
  const negotiation: DeflateServerOptions = {};
  if (o.serverNoContextTakeover !== undefined) negotiation.serverNoContextTakeover = o.serverNoContextTakeover;
  if (o.clientNoContextTakeover !== undefined) negotiation.clientNoContextTakeover = o.clientNoContextTakeover;
  if (o.serverMaxWindowBits !== undefined) negotiation.serverMaxWindowBits = o.serverMaxWindowBits;
  if (o.clientMaxWindowBits !== undefined) negotiation.clientMaxWindowBits = o.clientMaxWindowBits;
  acceptDeflateOffer([], negotiation); // validates the window bits
  return engineConfig(negotiation, o);
}

/**
 * Validates a client's `perMessageDeflate` option.
 * @param option - `false`/`undefined` (off), `true` (the default offer) or the settings
 * @returns the settings, or null when compression is off
 * @throws RangeError as {@link serverDeflateConfig}
 */
export function clientDeflateConfig(
  option: boolean | PerMessageDeflateClientOptions | undefined,
): DeflateConfig<DeflateClientOptions> | null {
  if (option === undefined || option === false) return null;
  const o: PerMessageDeflateClientOptions = option === true ? {} : option;
  const negotiation: DeflateClientOptions = {};
  if (o.serverNoContextTakeover !== undefined) negotiation.serverNoContextTakeover = o.serverNoContextTakeover;
  if (o.clientNoContextTakeover !== undefined) negotiation.clientNoContextTakeover = o.clientNoContextTakeover;
  if (o.serverMaxWindowBits !== undefined) negotiation.serverMaxWindowBits = o.serverMaxWindowBits;
  if (o.clientMaxWindowBits !== undefined) negotiation.clientMaxWindowBits = o.clientMaxWindowBits;
  buildDeflateOffer(negotiation); // validates the window bits
  return engineConfig(negotiation, o);
}
