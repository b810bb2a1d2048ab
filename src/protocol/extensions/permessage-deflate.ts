// Sans-I/O permessage-deflate (RFC 7692): parameter negotiation only, no zlib, no sockets, no timers.
//
// Differences from ws, on purpose:
// - An invalid offer (unknown parameter, bad value, repeated parameter) is declined, and the next
//   offer is tried; the handshake still succeeds, without compression if nothing fits. ws throws
//   and answers 400. RFC 7692 §7 says "A server MUST decline an extension negotiation offer for
//   this extension if ..." those conditions hold: declining, not failing, is what it asks for.
// - Window bits 8: zlib cannot deflate with a 256-byte window (Node's DeflateRaw silently uses 9),
//   so this side never promises 8 for a window it compresses with. Options of 8 are treated as 9;
//   a server declines an offer that demands `server_max_window_bits=8`; a client fails a response
//   that demands `client_max_window_bits=8`. The peer's window may be 8: inflate with
//   `zlibWindowBits()`, which gives 9, since a bigger window always decodes a smaller one.
// - A client fails a response that ignores a `server_no_context_takeover` or
//   `server_max_window_bits` it asked for (RFC 7692 §7.1.1.1, §7.1.2.1: the server accepts such
//   an offer "by including" the parameter). ws does not check this.
import { handshakeError } from '../handshake/codes.ts';
import type { ExtensionOffer } from '../handshake/header-tokens.ts';
import { serializeExtensions } from '../handshake/header-tokens.ts';

/** The registered extension name (RFC 7692 §7). */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

/**
 * The agreed configuration of one connection. Window bits are the negotiated values (8-15, as on
 * the wire); pass them through {@link zlibWindowBits} before giving them to zlib.
 *
 * Role view: the server compresses with `serverMaxWindowBits` and `serverNoContextTakeover`, and
 * inflates with `clientMaxWindowBits`; the client the other way round.
 *
 * Window bits 8: zlib's raw deflate cannot use a 256-byte window (Node's `DeflateRaw` silently
 * uses 9), so a side that promised 8 and compressed with zlib could emit distances the peer cannot
 * resolve. Negotiation therefore never lets the window *this side compresses with* be 8: the
 * server declines offers demanding `server_max_window_bits=8`, the client fails answers demanding
 * `client_max_window_bits=8`, and every option of 8 is raised to 9. The *peer's* window may be 8
 * (it is the peer's promise); inflate it with `zlibWindowBits(bits)`, which gives 9.
 */
export interface DeflateParams {
  /** The server resets its compressor after each message (RFC 7692 §7.1.1.1). */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message (RFC 7692 §7.1.1.2). */
  clientNoContextTakeover: boolean;
  /** Upper bound of the server's LZ77 window, base-2 log, 8-15 (RFC 7692 §7.1.2.1). */
  serverMaxWindowBits: number;
  /** Upper bound of the client's LZ77 window, base-2 log, 8-15 (RFC 7692 §7.1.2.2). */
  clientMaxWindowBits: number;
}

/** What a server is willing to accept. Every field narrows the answer; none widens an offer. */
export interface DeflateServerOptions {
  /**
   * Always answer `server_no_context_takeover`: the server keeps no compression state between
   * messages (less memory per connection, worse ratio). An offer that asks for it is honoured
   * either way.
   * @default false (context takeover compresses chat-like traffic much better)
   */
  serverNoContextTakeover?: boolean;
  /**
   * Always answer `client_no_context_takeover`: the client must reset its compressor per message,
   * so the server's inflater keeps no window between messages. Also sent when the client offered it.
   * @default false
   */
  clientNoContextTakeover?: boolean;
  /**
   * Largest window the server compresses with, 8-15 (8 is treated as 9, see the file header). The
   * answer carries min(this, the offered `server_max_window_bits`), and carries it even when the
   * offer had none if this is below 15 (§7.1.2.1 allows it).
   * @default 15 (zlib's default: best ratio; lower it to save about 2^bits bytes per connection)
   */
  serverMaxWindowBits?: number;
  /**
   * Largest window the client may compress with, 8-15 (8 is treated as 9). Below 15 it can only
   * be imposed on a client that offered `client_max_window_bits` (§7.1.2.2: otherwise the answer
   * "MUST NOT include" it), so an offer without it is declined, as ws does: the inflater memory
   * bound this option promises would not hold.
   * @default 15 (accept any client window, as the RFC's default)
   */
  clientMaxWindowBits?: number;
}

/** What a client offers. */
export interface DeflateClientOptions {
  /**
   * Ask the server to keep no compression state between messages.
   * @default false
   */
  serverNoContextTakeover?: boolean;
  /**
   * Declare that this client resets its compressor after each message.
   * @default false
   */
  clientNoContextTakeover?: boolean;
  /**
   * Ask the server to compress with at most this window (8-15; 8 is treated as 9). Absent: not asked.
   * @default undefined (no limit asked; the server may still choose one)
   */
  serverMaxWindowBits?: number;
  /**
   * `true`: offer `client_max_window_bits` without a value (the server may then choose the window
   * this client compresses with); a number 8-15 (8 is treated as 9): offer it with that value,
   * a promise to use no bigger window; `false`: do not offer it.
   * @default true (as ws and browsers do: lets a memory-conscious server accept the offer)
   */
  clientMaxWindowBits?: number | boolean;
}

/** Parameters of one offer or response, validated against RFC 7692 §7. */
interface ParsedParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  clientMaxWindowBits: number | true | null;
}

/**
 * Validates one `permessage-deflate` element. `role` is what the element is: an offer (client to
 * server) or a response (server to client). Returns the reason as a string when invalid.
 */
function parseParams(ext: ExtensionOffer, role: 'offer' | 'response'): ParsedParams | string {
  // RFC 7692 §7: "contains multiple extension parameters with the same name"
  if (ext.duplicateParams !== undefined && ext.duplicateParams.length > 0) {
    return `parameter "${ext.duplicateParams[0] ?? ''}" appears more than once`;
  }
  const out: ParsedParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null,
    clientMaxWindowBits: null,
  };
  for (const [name, value] of ext.params) {
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        // RFC 7692 §7.1.1.1, §7.1.1.2: "This extension parameter has no value"
        if (value !== true) return `parameter "${name}" must not have a value`;
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // RFC 7692 §7.1.2.1: "This parameter has a decimal integer value without leading zeroes
        // between 8 to 15, inclusive"
        const bits = parseWindowBits(value);
        if (bits === null) return `parameter "${name}" needs a value from 8 to 15`;
        out.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2.2: in an offer "no value or a decimal integer value without leading
        // zeroes between 8 to 15"; in a response the value is required
        if (value === true && role === 'offer') {
          out.clientMaxWindowBits = true;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits === null) return `parameter "${name}" needs a value from 8 to 15`;
        out.clientMaxWindowBits = bits;
        break;
      }
      default:
        // RFC 7692 §7: "contains an extension parameter not defined for use in an offer"
        return 'unknown parameter';
    }
  }
  return out;
}

/** `8`-`15`, digits only, no leading zero; null otherwise. */
function parseWindowBits(value: string | true): number | null {
  if (value === true) return null;
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    return c === 0x38 || c === 0x39 ? c - 0x30 : null;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const c = value.charCodeAt(1);
    return c >= 0x30 && c <= 0x35 ? 10 + c - 0x30 : null;
  }
  return null;
}

/**
 * The window bits to hand to zlib for a negotiated value: 8 becomes 9, because zlib's raw
 * deflate cannot use a 256-byte window (Node silently raises it to 9). For an inflater this is
 * always safe: a 512-byte window decodes anything a 256-byte window produced.
 *
 * @param bits - negotiated window bits, 8-15
 * @returns 9-15
 */
export function zlibWindowBits(bits: number): number {
  return bits === 8 ? 9 : bits;
}

/** Validates an option value: integer 8-15, with 8 raised to 9; `undefined` gives 15. */
function optionBits(value: number | undefined, name: string): number {
  if (value === undefined) return 15;
  if (!Number.isInteger(value) || value < 8 || value > 15) {
    throw new RangeError(`Cannot use ${name} ${String(value)}: expected an integer from 8 to 15`);
  }
  return zlibWindowBits(value);
}

/**
 * Server side: picks the first acceptable `permessage-deflate` offer (RFC 7692 §5: the order is
 * the client's preference) and builds the answer. Invalid offers are skipped, not fatal (RFC 7692
 * §7 "MUST decline"); other extensions in the list are ignored.
 *
 * The answer (RFC 7692 §7.1):
 * - `server_no_context_takeover` when offered (§7.1.1.1: accepted "by including" it) or required
 *   by `options.serverNoContextTakeover`
 * - `client_no_context_takeover` when offered or required by the options (§7.1.1.2)
 * - `server_max_window_bits=min(offered, option)` when offered (§7.1.2.1: "the same or smaller
 *   value"), or the option alone when below 15. An offer of 8 is declined: zlib cannot compress
 *   with 256-byte windows
 * - `client_max_window_bits=min(offered value or 15, option)` only if the offer had
 *   `client_max_window_bits` (§7.1.2.2), and written only when it has a value or the option is
 *   below 15. An option below 15 declines offers without `client_max_window_bits`
 *
 * Differs from ws: ws throws on an invalid offer and the handshake fails with 400; here the
 * offer is declined and the next one tried, and with none left the connection opens without
 * compression. RFC 7692 §7 asks for exactly that ("MUST decline"), and a client with one odd
 * parameter still gets a working connection (docs/security-cases.md PD-01, PD-02).
 *
 * @param offers - every extension element of the request, in order
 * @param options - the server's limits
 * @returns the agreed parameters and the `Sec-WebSocket-Extensions` value to answer with, or null
 *   when no offer is acceptable (answer without the extension)
 * @throws {RangeError} when a window-bits option is outside 8-15
 * @example
 * ```ts
 * const offers = parseExtensionHeader('permessage-deflate; client_max_window_bits');
 * acceptDeflateOffer(offers, { serverNoContextTakeover: true })?.response;
 * // 'permessage-deflate; server_no_context_takeover'
 * ```
 */
export function acceptDeflateOffer(
  offers: readonly ExtensionOffer[],
  options: DeflateServerOptions,
): { params: DeflateParams; response: string } | null {
  const maxServerBits = optionBits(options.serverMaxWindowBits, 'serverMaxWindowBits');
  const maxClientBits = optionBits(options.clientMaxWindowBits, 'clientMaxWindowBits');
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const parsed = parseParams(offer, 'offer');
    if (typeof parsed === 'string') continue; // RFC 7692 §7: "A server MUST decline" an invalid offer
    // RFC 7692 §7: decline when "the server doesn't support the offered configuration"
    if (parsed.serverMaxWindowBits === 8) continue;
    if (parsed.clientMaxWindowBits === null && maxClientBits < 15) continue;

    const serverNoContextTakeover = parsed.serverNoContextTakeover || options.serverNoContextTakeover === true;
    const clientNoContextTakeover = parsed.clientNoContextTakeover || options.clientNoContextTakeover === true;
    const serverBits =
      parsed.serverMaxWindowBits === null ? maxServerBits : Math.min(parsed.serverMaxWindowBits, maxServerBits);
    const offeredClientBits = parsed.clientMaxWindowBits;
    const clientBits =
      offeredClientBits === null || offeredClientBits === true
        ? maxClientBits
        : Math.min(offeredClientBits, maxClientBits);

    const response = new Map<string, string | true>();
    if (serverNoContextTakeover) response.set('server_no_context_takeover', true);
    if (clientNoContextTakeover) response.set('client_no_context_takeover', true);
    if (parsed.serverMaxWindowBits !== null || serverBits < 15)
      response.set('server_max_window_bits', String(serverBits));
    // RFC 7692 §7.1.2.2: "If a received extension negotiation offer doesn't have the
    // "client_max_window_bits" extension parameter, the corresponding extension negotiation
    // response to the offer MUST NOT include the "client_max_window_bits" extension parameter"
    if (offeredClientBits !== null && (typeof offeredClientBits === 'number' || clientBits < 15)) {
      response.set('client_max_window_bits', String(clientBits));
    }
    return {
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: clientBits,
      },
      response: serializeExtensions([{ name: PERMESSAGE_DEFLATE, params: response }]),
    };
  }
  return null;
}

/**
 * Client side: builds one `permessage-deflate` offer for `Sec-WebSocket-Extensions`.
 *
 * @param options - what to ask for; see {@link DeflateClientOptions}
 * @returns e.g. `permessage-deflate; client_max_window_bits`
 * @throws {RangeError} when a window-bits option is outside 8-15
 * @example
 * ```ts
 * buildDeflateOffer({ serverMaxWindowBits: 10 });
 * // 'permessage-deflate; server_max_window_bits=10; client_max_window_bits'
 * ```
 */
export function buildDeflateOffer(options: DeflateClientOptions = {}): string {
  const params = new Map<string, string | true>();
  if (options.serverNoContextTakeover === true) params.set('server_no_context_takeover', true);
  if (options.clientNoContextTakeover === true) params.set('client_no_context_takeover', true);
  if (options.serverMaxWindowBits !== undefined) {
    params.set('server_max_window_bits', String(optionBits(options.serverMaxWindowBits, 'serverMaxWindowBits')));
  }
  const client = options.clientMaxWindowBits ?? true;
  if (client === true) params.set('client_max_window_bits', true);
  else if (typeof client === 'number')
    params.set('client_max_window_bits', String(optionBits(client, 'clientMaxWindowBits')));
  return serializeExtensions([{ name: PERMESSAGE_DEFLATE, params }]);
}

/**
 * Client side: checks the server's `permessage-deflate` answer against what was offered with
 * `buildDeflateOffer(offered)` and returns the agreed parameters. RFC 7692 §7: "A client MUST
 * _Fail the WebSocket Connection_ if the peer server accepted an extension negotiation offer for
 * this extension with an extension negotiation response" that has an unknown or repeated
 * parameter, an invalid value, or a configuration the client does not support:
 *
 * - `client_max_window_bits` when it was not offered (§7.1.2.2), without a value, above the
 *   offered value, or 8 (this client cannot compress with a 256-byte window)
 * - `server_max_window_bits` above the offered value, or missing although it was offered
 *   (§7.1.2.1)
 * - `server_no_context_takeover` missing although it was offered (§7.1.1.1)
 *
 * Differs from ws: ws does not check that a requested `server_no_context_takeover` or
 * `server_max_window_bits` came back; the RFC says the server accepts such an offer only "by
 * including" them, so an answer without them is a configuration this client did not offer.
 *
 * @param ext - the `permessage-deflate` element of the response
 * @param offered - the options the offer was built from
 * @returns the agreed parameters
 * @throws {HandshakeError} status 101, code `WS_ERR_INVALID_EXTENSION`
 * @throws {RangeError} when a window-bits option is outside 8-15
 */
export function validateDeflateResponse(ext: ExtensionOffer, offered: DeflateClientOptions): DeflateParams {
  const fail = (detail: string): never => {
    throw handshakeError(`Cannot open the WebSocket: invalid permessage-deflate response: ${detail}`, {
      code: 'WS_ERR_INVALID_EXTENSION',
      status: 101,
    });
  };
  const askedServerBits =
    offered.serverMaxWindowBits === undefined ? null : optionBits(offered.serverMaxWindowBits, 'serverMaxWindowBits');
  const client = offered.clientMaxWindowBits ?? true;
  const offeredClientBits = client === false ? null : client === true ? 15 : optionBits(client, 'clientMaxWindowBits');

  if (ext.name !== PERMESSAGE_DEFLATE) fail('not a permessage-deflate response');
  const parsed = parseParams(ext, 'response');
  if (typeof parsed === 'string') return fail(parsed);

  if (offered.serverNoContextTakeover === true && !parsed.serverNoContextTakeover) {
    fail('server_no_context_takeover was offered but not accepted');
  }
  let serverBits = 15;
  if (parsed.serverMaxWindowBits !== null) {
    if (askedServerBits !== null && parsed.serverMaxWindowBits > askedServerBits)
      fail('server_max_window_bits is above the offered value');
    serverBits = parsed.serverMaxWindowBits;
  } else if (askedServerBits !== null) {
    fail('server_max_window_bits was offered but not accepted');
  }
  let clientBits = offeredClientBits ?? 15;
  if (parsed.clientMaxWindowBits !== null) {
    // RFC 7692 §7.1.2.2: the server "MUST NOT include" it when the offer did not
    if (offeredClientBits === null) fail('client_max_window_bits was not offered');
    const bits = parsed.clientMaxWindowBits as number; // a response value is required by parseParams
    if (offeredClientBits !== null && bits > offeredClientBits)
      fail('client_max_window_bits is above the offered value');
    if (bits === 8) fail('client_max_window_bits=8 cannot be honoured by zlib');
    clientBits = bits;
  }
  return {
    serverNoContextTakeover: parsed.serverNoContextTakeover,
    clientNoContextTakeover: parsed.clientNoContextTakeover || offered.clientNoContextTakeover === true,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}
