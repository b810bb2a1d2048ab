// Client SDK (Node-free): reading what a subscription missed from history, page by page, and the offset-order
// helpers a subscription delivers with (snapshot merged with history, publications and tombstones as items).
import type {
  HistoryReply,
  Publication,
  PublicationMessage,
  ServerMessage,
  StreamPosition,
  SubscribedMessage,
  Tombstone,
} from '../messages/core.ts';
import { ClientError } from './errors.ts';

/** What arrives in offset order: a publication, or the tombstone of a deleted one. */
export type Item = PublicationMessage | Tombstone;

const HISTORY_PAGE = 1000;
const MAX_RECOVERY_PAGES = 100;

/** What reading history needs from the client. */
export interface HistoryReader {
  request(message: {
    readonly type: 'history';
    readonly channel: string;
    readonly since: StreamPosition;
    readonly limit: number;
  }): Promise<ServerMessage>;
  positionOf(channel: string): StreamPosition | undefined;
}

/**
 * Reads the channel's history from `from` on, handing each publication of that epoch to `deliver` in offset order,
 * until it reaches the reply's offset (at most {@link MAX_RECOVERY_PAGES} pages of {@link HISTORY_PAGE}), then calls
 * `finish` with whether everything missed was read, and the last reply (in the same turn as the last read).
 * @throws {ClientError} `protocol` on an answer that is not a history reply.
 */
export async function readMissed(
  host: HistoryReader,
  channel: string,
  from: StreamPosition,
  deliver: (p: Item) => void,
  finish: (complete: boolean, reply: HistoryReply | null) => void,
): Promise<void> {
  let since = from;
  for (let page = 0; page < MAX_RECOVERY_PAGES; page++) {
    const answer = await host.request({ type: 'history', channel, since, limit: HISTORY_PAGE });
    if (answer.type !== 'reply') throw new ClientError('protocol', 'Unexpected answer to history');
    const reply = answer.data as unknown as HistoryReply | undefined;
    if (reply === undefined || typeof reply !== 'object' || !Array.isArray(reply.publications))
      throw new ClientError('protocol', 'Malformed history reply');
    if (reply.recovered === false) return finish(false, reply);
    const pubs = reply.publications.filter((p) => isPublication(p, channel)).sort(byOffset);
    for (const p of pubs) if (p.epoch === since.epoch) deliver(asItem(p));
    const now = host.positionOf(channel);
    if (pubs.length < HISTORY_PAGE || now === undefined || now.offset >= reply.offset) return finish(true, reply);
    since = now;
  }
  finish(false, null);
}

/** `subscribed.publications` and `subscribed.snapshot` as one list in offset order, each offset once. */
export function mergeSnapshot(answer: SubscribedMessage): (Publication | Tombstone)[] {
  if (answer.snapshot === undefined || answer.snapshot.length === 0) return [...answer.publications].sort(byOffset);
  const byOffsetMap = new Map<number, Publication | Tombstone>();
  for (const p of answer.snapshot) byOffsetMap.set(p.offset, p);
  for (const p of answer.publications) byOffsetMap.set(p.offset, p);
  return [...byOffsetMap.values()].sort(byOffset);
}

/** Sorts by offset. */
export function byOffset(a: { readonly offset: number }, b: { readonly offset: number }): number {
  return a.offset - b.offset;
}

/** A history item as delivered: a publication message, or the tombstone as it is. */
export function asItem(p: Publication | Tombstone): Item {
  return 'deleted' in p ? p : { ...p, type: 'publication' };
}

function isPublication(p: unknown, channel: string): p is Publication | Tombstone {
  if (typeof p !== 'object' || p === null) return false;
  const v = p as Record<string, unknown>;
  return (
    v['channel'] === channel &&
    typeof v['epoch'] === 'string' &&
    Number.isSafeInteger(v['offset']) &&
    (v['offset'] as number) >= 0
  );
}
