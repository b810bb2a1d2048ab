// Dashboard page: the connection indicator (connecting, connected, reconnecting, offline) and the last update time.
import type { ClientState } from '../../src/client/index.ts';
import { formatTime } from './format.ts';

/** What the page tells the user about its connection. */
export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

const LABELS: Readonly<Record<LinkState, string>> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/**
 * The indicator's state from the client's.
 * @param state The client's state.
 * @param everConnected Whether this page was connected before (then a lost connection is `reconnecting`).
 * @param online `navigator.onLine`: without a network the page says so rather than "reconnecting".
 */
export function linkState(state: ClientState, everConnected: boolean, online: boolean): LinkState {
  if (state === 'connected') return 'connected';
  if (state === 'closed' || !online) return 'offline';
  return everConnected ? 'reconnecting' : 'connecting';
}

/** The header's indicator and clock. */
export class StatusView {
  readonly #status: HTMLElement;
  readonly #updated: HTMLTimeElement;
  #shown: LinkState | null = null;

  constructor(status: HTMLElement, updated: HTMLTimeElement) {
    this.#status = status;
    this.#updated = updated;
  }

  /** Shows a state (only a change is written, so screen readers announce each once). */
  show(state: LinkState): void {
    if (state === this.#shown) return;
    this.#shown = state;
    this.#status.dataset['state'] = state;
    this.#status.textContent = LABELS[state];
  }

  /** Shows when the page last received data. */
  updated(ms: number): void {
    this.#updated.dateTime = new Date(ms).toISOString();
    this.#updated.textContent = formatTime(ms);
  }
}
