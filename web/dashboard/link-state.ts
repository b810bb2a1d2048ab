// Dashboard page: the connection indicator's state from the client's (DOM-free, so tests run it in Node).
import type { ClientState } from '../../src/client/index.ts';

/** What the page tells the user about its connection. */
export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/**
 * The indicator's state from the client's.
 * @param state The client's state.
 * @param everConnected Whether this page was connected before (then a lost connection is `reconnecting`).
 * @param online `navigator.onLine`: without a network the page says so rather than "connected" or "reconnecting".
 */
export function linkState(state: ClientState, everConnected: boolean, online: boolean): LinkState {
  // Without a network an open socket is only not yet known dead (the client's ping finds out): say offline at once.
  if (state === 'closed' || !online) return 'offline';
  if (state === 'connected') return 'connected';
  return everConnected ? 'reconnecting' : 'connecting';
}
