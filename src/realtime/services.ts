// Realtime: what the operations need from the hub. Operations see the hub only through this interface.
import type { Broker } from '../broker/index.ts';
import type { JsonValue } from '../messages/index.ts';
import type { Authenticator } from './auth/identity.ts';
import type { BanGuard } from './bans.ts';
import type { ChannelRegistry } from './channels.ts';
import type { DocumentRegistry } from './documents/registry.ts';
import type { RealtimeEvents } from './events.ts';
import type { LogicRunner } from './logic-runner.ts';
import type { RealtimeObserver } from './observer.ts';
import type { Permissions } from './permissions.ts';
import type { Session } from './session.ts';
import type { SessionOptions } from './session-options.ts';
import type { TypingTracker } from './typing.ts';

/** What operations need from the hub. */
export interface HubServices {
  readonly broker: Broker;
  readonly permissions: Permissions;
  readonly authenticator: Authenticator;
  readonly channels: ChannelRegistry;
  readonly typing: TypingTracker;
  readonly options: SessionOptions;
  readonly observer: RealtimeObserver;
  /** Events for layers above (webhooks). */
  readonly events: RealtimeEvents;
  /** The ban check of connect, refresh and subscribe. */
  readonly bans: BanGuard;
  /** Registers an authenticated session under its user; false when the user is at its connection cap. */
  addUserSession(session: Session): boolean;
  /** Server statistics for `stats`. */
  stats(): Record<string, JsonValue>;
  /** The server logic (hooks and RPC); `logic.has(hook)` is false for hooks no logic defines. */
  readonly logic: LogicRunner;
  /** The collaborative documents loaded on this node (namespaces with `document: true`). */
  readonly documents: DocumentRegistry;
}
