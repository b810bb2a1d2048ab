// HTTP: the query and the event id of `GET /sse` (docs/protocol.md § 15.4): channels, and `epoch:offset` lists.
import { isValidChannelName, Limits } from '../messages/index.ts';

/** Most channels one `GET /sse` follows: a page's worth of tickers or rooms, while one request stays cheap to set up. */
export const MAX_SSE_CHANNELS = 16;

/** A position in one channel's stream: the last publication the client has. */
export interface SsePosition {
  readonly epoch: string;
  readonly offset: number;
}

/** What a bad query or `Last-Event-ID` gets: the HTTP error body's code and message. */
export interface SseQueryError {
  readonly error: 'invalid_message' | 'bad_request';
  readonly message: string;
}

/** An epoch as it may appear in an event id: printable ASCII without the `:` and `,` that separate positions. */
const EPOCH = /^[\x21-\x2b\x2d-\x39\x3b-\x7e]+$/;
/** An offset: a decimal integer without sign or leading zeros. */
const OFFSET = /^(?:0|[1-9][0-9]{0,15})$/;

/**
 * Reads the channels of a `GET /sse` query: 1 to {@link MAX_SSE_CHANNELS} valid names, each once.
 * @param params The query.
 * @returns The channels in the query's order, or why they are refused.
 */
export function parseSseChannels(params: URLSearchParams): readonly string[] | SseQueryError {
  const channels = params.getAll('channel');
  if (channels.length === 0)
    return { error: 'invalid_message', message: 'Name at least one channel: /sse?channel=<namespace>:<name>' };
  if (channels.length > MAX_SSE_CHANNELS)
    return { error: 'invalid_message', message: `Cannot follow more than ${MAX_SSE_CHANNELS} channels in one stream` };
  const seen = new Set<string>();
  for (const channel of channels) {
    if (!isValidChannelName(channel)) return { error: 'invalid_message', message: 'Invalid channel name' };
    if (seen.has(channel)) return { error: 'invalid_message', message: 'A channel is named twice' };
    seen.add(channel);
  }
  return channels;
}

/**
 * Reads a `Last-Event-ID`: one `epoch:offset` per channel, comma-separated, in the order of the `channel` parameters;
 * an empty item means "no position" (that channel subscribes afresh).
 * @param value The header's (or the `lastEventId` parameter's) value.
 * @param count How many channels the stream follows.
 * @returns One position (or null) per channel, or why the id is refused.
 */
export function parseLastEventId(value: string, count: number): readonly (SsePosition | null)[] | SseQueryError {
  const bad = (message: string): SseQueryError => ({
    error: 'bad_request',
    message: `Invalid Last-Event-ID: ${message}`,
  });
  // Each item is at most an epoch, a colon and 16 digits: anything longer is not an id this server wrote.
  if (value.length > count * (Limits.MAX_EPOCH_LENGTH + 18)) return bad('too long');
  const items = value.split(',');
  if (items.length !== count) return bad(`expected ${count} position(s), one per channel`);
  const positions: (SsePosition | null)[] = [];
  for (const item of items) {
    if (item === '') {
      positions.push(null);
      continue;
    }
    const colon = item.lastIndexOf(':');
    const epoch = item.slice(0, colon);
    const offset = item.slice(colon + 1);
    if (colon <= 0 || epoch.length > Limits.MAX_EPOCH_LENGTH || !EPOCH.test(epoch) || !OFFSET.test(offset))
      return bad('expected <epoch>:<offset> items');
    const n = Number(offset);
    if (!Number.isSafeInteger(n)) return bad('offset out of range');
    positions.push({ epoch, offset: n });
  }
  return positions;
}

/**
 * Writes the event id of a stream: each channel's position, in the order of its `channel` parameters.
 * @param positions One position (or null before the channel has one) per channel.
 * @returns The id, e.g. `Xy7_abc:42` or `Xy7_abc:42,Q1w_e:9120`.
 */
export function formatEventId(positions: readonly (SsePosition | null)[]): string {
  let id = '';
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i];
    if (i > 0) id += ',';
    if (p !== null && p !== undefined) id += `${p.epoch}:${p.offset}`;
  }
  return id;
}
