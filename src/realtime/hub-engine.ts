// Realtime: the engine options of the hub's `/ws` endpoint (path, frame size cap, the accept hook's checks, listening).
import type { ServerOptions } from '../engine/index.ts';
import { selectSubprotocol } from '../messages/index.ts';
import type { YjsEndpoint } from './documents/yjs-connection.ts';
import { createAcceptHook, type HandshakeChecks } from './handshake.ts';
import type { RealtimeServerOptions } from './hub-options.ts';
import type { RealtimeObserver } from './observer.ts';
import type { HubServices } from './services.ts';
import { createOriginPolicy } from './origin.ts';
import { KeyedRateLimiter } from './rate-limit.ts';

/** Where y-websocket clients connect when the hub serves them (`RealtimeServerOptions.yjsPath`). */
export const DEFAULT_YJS_PATH = '/yjs/';

/**
 * The engine options for the hub's WebSocket server.
 * @param options The hub's options.
 * @param maxMessageSize The protocol's message size limit in bytes.
 * @param observer Told about refused handshakes.
 * @param state What the accept hook asks the hub on each upgrade: whether it drains, whether an address is denied.
 */
export function engineOptionsFrom(
  options: RealtimeServerOptions,
  maxMessageSize: number,
  observer: RealtimeObserver,
  state: { draining(): boolean; deniedAddress(address: string): boolean },
): ServerOptions {
  return {
    ...options.engine,
    ...(options.trustedProxies === undefined ? {} : { trustedProxies: options.trustedProxies }),
    ...(options.perMessageDeflate === undefined ? {} : { perMessageDeflate: options.perMessageDeflate }),
    path: options.path ?? '/ws',
    ...(options.yjsNamespace === undefined || options.yjsNamespace === null
      ? {}
      : { pathPrefix: options.yjsPath ?? DEFAULT_YJS_PATH }),
    // Frames up to 4x the limit get a `too_large` reply; anything bigger is cut by the engine with 1009 before it is buffered.
    maxMessageSize: maxMessageSize * 4,
    accept: createAcceptHook(handshakeChecksFrom(options, observer, state)),
    handleProtocols: (protocols) => selectSubprotocol(protocols),
    ...(options.server !== undefined
      ? { server: options.server }
      : { port: options.port ?? 0, host: options.host ?? '127.0.0.1' }),
  };
}

/**
 * The checks of the `/ws` upgrade (drain, deny-list, per-address rate, origin, credential) as the hub's options set them.
 * @param options The hub's options.
 * @param observer Told about refused handshakes.
 * @param state Whether the hub drains, whether an address is denied.
 */
export function handshakeChecksFrom(
  options: RealtimeServerOptions,
  observer: RealtimeObserver,
  state: { draining(): boolean; deniedAddress(address: string): boolean },
): HandshakeChecks {
  return {
    draining: () => state.draining(),
    ipLimiter: new KeyedRateLimiter({ perMinute: options.connectionsPerMinutePerIp ?? 600 }),
    origins: options.originPolicy ?? createOriginPolicy({ allowedOrigins: [] }),
    authenticator: options.authenticator,
    observer,
    cookieName: options.cookieName ?? null,
    allowQueryToken: options.allowQueryToken ?? true,
    allowSameOrigin: options.allowSameOrigin ?? false,
    deniedAddress: (address) => state.deniedAddress(address),
  };
}

/**
 * The y-websocket endpoint the hub serves when `yjsNamespace` is set.
 * @param options The hub's options.
 * @param services The hub's permissions, documents and observer.
 * @returns The endpoint, or null when the option is unset.
 */
export function yjsEndpointFrom(
  options: RealtimeServerOptions,
  services: Pick<HubServices, 'permissions' | 'documents' | 'observer'>,
): YjsEndpoint | null {
  const namespace = options.yjsNamespace ?? null;
  if (namespace === null) return null;
  return {
    pathPrefix: options.yjsPath ?? DEFAULT_YJS_PATH,
    namespace,
    namespaces: options.namespaces,
    permissions: services.permissions,
    documents: services.documents,
    observer: services.observer,
    rateLimit: options.rateLimit ?? {},
    anonymous: async () => {
      const result = await options.authenticator.authenticate(null);
      return result.ok ? result.identity : null;
    },
  };
}
