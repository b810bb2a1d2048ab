// Client SDK (Node-free): switchboard/react, hooks over a Client (useClient, useConnectionState, useChannel).
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { JsonValue, PresenceUser, PublicationMessage, PublishReply } from '../messages/core.ts';
import { Client, type ClientOptions, type ClientState, type StateChange } from './client.ts';
import type { GapEvent } from './subscription-events.ts';

const ClientContext = createContext<Client | null>(null);

/**
 * Provides a {@link Client} to the hooks below it.
 * @param props `client` and `children`.
 * @returns The provider element.
 */
export function ClientProvider(props: { readonly client: Client; readonly children?: ReactNode }): ReactNode {
  return createElement(ClientContext.Provider, { value: props.client }, props.children);
}

/**
 * The client from {@link ClientProvider}, or, given options, one created for this component, connected on mount and
 * closed on unmount.
 * @param options Client options (read once, on first render).
 * @returns The client.
 * @throws {Error} Without options and without a provider.
 */
export function useClient(options?: ClientOptions): Client {
  const fromContext = useContext(ClientContext);
  const [own, setOwn] = useState<Client | null>(() => (options === undefined ? null : new Client(options)));
  // Options are read once, on first render (documented above): a new options object each render must not reconnect.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `options` is deliberately left out, see above.
  useEffect(() => {
    if (own === null) return undefined;
    // Strict mode mounts twice: the first unmount closed this client, so a fresh one replaces it (and re-renders).
    if (own.state === 'closed') {
      setOwn(new Client(options!));
      return undefined;
    }
    own.connect().catch(() => {});
    return () => own.close();
  }, [own]);
  const client = own ?? fromContext;
  if (client === null) throw new Error('Cannot use useClient: no ClientProvider above and no options given');
  return client;
}

/** The connection state and the last change (with its reason), re-rendered on every change. */
export interface ConnectionStateView {
  readonly state: ClientState;
  readonly change: StateChange | null;
}

/**
 * The client's connection state (`connecting`, `connected`, `disconnected` = reconnecting, `closed`) and why it changed.
 * @param client The client. @default the one from {@link ClientProvider}
 */
export function useConnectionState(client?: Client): ConnectionStateView {
  const fromContext = useContext(ClientContext);
  const c = client ?? fromContext;
  if (c === null) throw new Error('Cannot use useConnectionState: no client given and no ClientProvider above');
  const last = useRef<ConnectionStateView>({ state: c.state, change: null });
  const subscribe = useCallback(
    (notify: () => void) =>
      c.on('statechange', (change) => {
        last.current = { state: change.state, change };
        notify();
      }),
    [c],
  );
  const snapshot = (): ConnectionStateView => {
    if (last.current.state !== c.state) last.current = { state: c.state, change: last.current.change };
    return last.current;
  };
  return useSyncExternalStore(subscribe, snapshot);
}

/** What {@link useChannel} returns. */
export interface ChannelView {
  /** The last `maxMessages` publications, oldest first. */
  readonly messages: readonly PublicationMessage[];
  /** Users present (with `presence: true`). */
  readonly presence: readonly PresenceUser[];
  /** Users typing now. */
  readonly typing: readonly string[];
  readonly subscribed: boolean;
  /** The last gap (refetch what the view needs), or null. */
  readonly gap: GapEvent | null;
  /** The refusal code when the subscription failed, or null. */
  readonly error: string | null;
  publish(data: JsonValue): Promise<PublishReply>;
  setTyping(on: boolean): void;
}

/**
 * Subscribes to a channel for the component's lifetime and exposes its messages, presence and typing users.
 * @param channel Channel name.
 * @param options `presence` (default true), `maxMessages` kept in state (default 200), `client`.
 */
export function useChannel(
  channel: string,
  options: { readonly presence?: boolean; readonly maxMessages?: number; readonly client?: Client } = {},
): ChannelView {
  const fromContext = useContext(ClientContext);
  const client = options.client ?? fromContext;
  if (client === null) throw new Error('Cannot use useChannel: no client given and no ClientProvider above');
  const max = options.maxMessages ?? 200;
  const presenceWanted = options.presence ?? true;
  const [messages, setMessages] = useState<readonly PublicationMessage[]>([]);
  const [presence, setPresence] = useState<readonly PresenceUser[]>([]);
  const [typing, setTyping] = useState<readonly string[]>([]);
  const [subscribed, setSubscribed] = useState(false);
  const [gap, setGap] = useState<GapEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const sub = client.subscription(channel, { presence: presenceWanted });
    const offs = [
      sub.on('publication', (p) =>
        setMessages((m) => (m.length >= max ? [...m.slice(m.length - max + 1), p] : [...m, p])),
      ),
      sub.on('subscribed', () => {
        setSubscribed(true);
        setPresence(sub.presence);
        setError(null);
      }),
      sub.on('state', (s) => {
        if (s !== 'subscribed') setSubscribed(false);
      }),
      sub.on('join', () => setPresence(sub.presence)),
      sub.on('leave', (l) => {
        setPresence(sub.presence);
        setTyping((u) => u.filter((x) => x !== l.user));
      }),
      sub.on('typing', (e) =>
        setTyping((u) => (e.on ? (u.includes(e.user) ? u : [...u, e.user]) : u.filter((x) => x !== e.user))),
      ),
      sub.on('gap', setGap),
      sub.on('unsubscribed', (u) => {
        if (u.code !== 'unsubscribed' && u.code !== 'closed') setError(u.code);
      }),
    ];
    client.subscribe(channel, { presence: presenceWanted }).catch(() => {});
    return () => {
      for (const off of offs) off();
      client.unsubscribe(channel).catch(() => {});
    };
  }, [client, channel, presenceWanted, max]);
  const publish = useCallback((data: JsonValue) => client.publish(channel, data), [client, channel]);
  const setTypingOn = useCallback((on: boolean) => client.typing(channel, on), [client, channel]);
  return { messages, presence, typing, subscribed, gap, error, publish, setTyping: setTypingOn };
}
