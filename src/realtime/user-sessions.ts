// Realtime: this node's open sessions by user id: the per-user connection cap, and reaching every session of a user.
import { DisconnectCode, ErrorCode, type ServerMessage } from '../messages/index.ts';
import type { RealtimeObserver } from './observer.ts';
import type { Session } from './session.ts';

/** Authenticated sessions of this node, grouped by user (a user's set is dropped with its last session). */
export class UserSessions {
  readonly #users = new Map<string, Set<Session>>();
  readonly #limits: { readonly maxConnectionsPerUser: number };
  readonly #observer: RealtimeObserver;

  /**
   * @param limits `maxConnectionsPerUser`, read on every add (the hub's session options).
   * @param observer Told when a user is at its cap.
   */
  constructor(limits: { readonly maxConnectionsPerUser: number }, observer: RealtimeObserver) {
    this.#limits = limits;
    this.#observer = observer;
  }

  /** Users with at least one session here. */
  get size(): number {
    return this.#users.size;
  }

  /** The sessions of a user here (empty when none). */
  sessionsOf(user: string): Iterable<Session> {
    return this.#users.get(user) ?? [];
  }

  /** Registers an authenticated session under its user; false (and an error sent) when the user is at its cap. */
  add(session: Session): boolean {
    const user = session.user!;
    let set = this.#users.get(user);
    if (set === undefined) {
      set = new Set();
      this.#users.set(user, set);
    }
    if (set.size >= this.#limits.maxConnectionsPerUser) {
      this.#observer.rateLimited?.('connections_per_user');
      session.error(
        ErrorCode.FORBIDDEN,
        `Cannot connect: at most ${this.#limits.maxConnectionsPerUser} connections per user`,
      );
      return false;
    }
    set.add(session);
    return true;
  }

  /** Forgets a closed session (a no-op for one never added). */
  delete(session: Session): void {
    const user = session.user;
    if (user === null) return;
    const set = this.#users.get(user);
    set?.delete(session);
    if (set !== undefined && set.size === 0) this.#users.delete(user);
  }

  /** Sends a message to every session of a user here; returns how many. */
  send(user: string, message: ServerMessage): number {
    const set = this.#users.get(user);
    if (set === undefined) return 0;
    for (const session of set) session.send(message);
    return set.size;
  }

  /** Disconnects every session of a user here with 4504 (forbidden); returns how many. */
  disconnect(user: string): number {
    const set = this.#users.get(user);
    if (set === undefined) return 0;
    const sessions = [...set];
    for (const session of sessions) session.disconnect(DisconnectCode.FORBIDDEN);
    return sessions.length;
  }
}
