// Realtime: what a session needs from the hub that runs it.
import type { SingleClientMessage } from '../messages/index.ts';
import type { RealtimeObserver } from './observer.ts';
import type { SessionOptions } from './session-options.ts';

/**
 * What a session needs from the hub that runs it. `S` is the session class (session.ts: `SessionHost<Session>`), a
 * parameter so this file needs no import of it.
 */
export interface SessionHost<S> {
  readonly options: SessionOptions;
  readonly observer: RealtimeObserver;
  /**
   * Runs one validated client message (not a batch) for the session; a rejection is answered `internal`.
   * @param session The session.
   * @param message The message.
   */
  run(session: S, message: SingleClientMessage): Promise<void>;
  /**
   * The session ended: release its subscriptions, presence and user slot.
   * @param session The session.
   */
  sessionClosed(session: S): void;
}
