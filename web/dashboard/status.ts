// Dashboard page: the connection indicator (connecting, connected, reconnecting, offline) and the last update time.
import { formatTime } from './format.ts';
import type { LinkState } from './link-state.ts';

const LABELS: Readonly<Record<LinkState, string>> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

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
