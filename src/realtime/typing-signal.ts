// Realtime: the broker signal that carries a typing event between nodes, written and read back (anything else a
// signal carries is ignored, so a newer node's signal kinds do not disturb an older one).

/**
 * The broker signal that carries a typing event between nodes.
 * @param user Who is typing.
 * @param on Started (or still) typing, or stopped.
 * @returns The signal's data for {@link Broker.signal}.
 */
export function typingSignalData(
  user: string,
  on: boolean,
): { readonly typing: { readonly user: string; readonly on: boolean } } {
  return { typing: { user, on } };
}

/** Reads a typing signal back; anything else (another node's newer signal kinds) is null and ignored. */
export function typingSignal(data: unknown): { readonly user: string; readonly on: boolean } | null {
  if (typeof data !== 'object' || data === null) return null;
  const typing = (data as { typing?: unknown }).typing;
  if (typeof typing !== 'object' || typing === null) return null;
  const { user, on } = typing as { user?: unknown; on?: unknown };
  return typeof user === 'string' && typeof on === 'boolean' ? { user, on } : null;
}
