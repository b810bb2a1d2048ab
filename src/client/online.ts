// Client SDK (Node-free): the browser's `online` event, where the runtime has one: a network that comes back is worth
// a reconnect now rather than at the end of the backoff wait.

/** The part of a global `EventTarget` (a window or a worker) the client uses; absent in Node. */
export interface OnlineEventSource {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/**
 * Calls `onOnline` on every `online` event of `source`, when it can dispatch events.
 * @param onOnline What to do when the network comes back.
 * @param source Where the event comes from. @default globalThis (the window in browsers; nothing happens in Node)
 * @returns Removes the listener (a no-op when none was added).
 */
export function watchOnline(
  onOnline: () => void,
  source: OnlineEventSource = globalThis as OnlineEventSource,
): () => void {
  const add = source.addEventListener;
  const remove = source.removeEventListener;
  if (typeof add !== 'function' || typeof remove !== 'function') return () => {};
  const listener = (): void => onOnline();
  add.call(source, 'online', listener);
  return () => remove.call(source, 'online', listener);
}
