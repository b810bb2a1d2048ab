// Realtime documents: how nodes tell each other about a document's changes: one broker channel per document, and
// the signal on it (an update or awareness update to fan out, or a compaction's new stored size).
import type { ChannelEvent } from '../../broker/index.ts';

/**
 * Prefix of the broker channel that carries one document's updates and awareness between nodes. It is not a valid
 * client channel name (no namespace), so no client can subscribe to it or publish on it.
 */
export const DOCUMENT_SIGNAL_PREFIX = '$switchboard-doc|';

/** The broker signal of a document change. */
export interface DocumentSignal {
  readonly node: string;
  readonly kind: 'update' | 'awareness' | 'compacted';
  readonly data?: string;
  readonly bytes?: number;
}

/** The broker channel of a document's cross-node traffic. */
export function signalChannel(name: string): string {
  return `${DOCUMENT_SIGNAL_PREFIX}${name}`;
}

/** Reads a document signal from another node; null for this node's own, or anything malformed. */
export function readSignal(event: ChannelEvent, node: string): DocumentSignal | null {
  if (event.type !== 'signal' || typeof event.data !== 'object' || event.data === null) return null;
  const s = event.data as Record<string, unknown>;
  if (typeof s['node'] !== 'string' || s['node'] === node) return null;
  const kind = s['kind'];
  if (kind === 'compacted') {
    return typeof s['bytes'] === 'number' ? { node: s['node'], kind, bytes: s['bytes'] } : null;
  }
  if ((kind !== 'update' && kind !== 'awareness') || typeof s['data'] !== 'string') return null;
  return { node: s['node'], kind, data: s['data'] };
}
