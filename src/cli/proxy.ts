// CLI: the backend proxy of `switchboard serve`, built from the `proxy` section of the configuration.
import type { HttpProxyOptions } from '../integrations/index.ts';
import type { ServerConfig } from './config.ts';

/** The variable read for the proxy secret when `proxy.secret` is unset (shared with the example backends). */
export const PROXY_SECRET_VARIABLE = 'SWITCHBOARD_PROXY_SECRET';

/**
 * How much longer than the proxy's own deadline the hub waits for the logic: the proxy must answer first, so a slow
 * backend costs the client `backend_unavailable` (retryable) and not the hub's `internal`.
 */
export const PROXY_DEADLINE_MARGIN_MS = 500;

/**
 * The proxy's options from the configuration.
 * @param proxy the `proxy` section
 * @param env the environment, for {@link PROXY_SECRET_VARIABLE}
 * @returns the options, or null when no endpoint is configured (no proxy)
 */
export function proxyOptionsFrom(
  proxy: ServerConfig['proxy'],
  env: Readonly<Record<string, string | undefined>>,
): HttpProxyOptions | null {
  const namespaced = Object.values(proxy.namespaces).some((n) => n.subscribe != null || n.publish != null);
  const any =
    [proxy.connect, proxy.refresh, proxy.rpc, proxy.subscribe, proxy.publish].some((url) => url !== null) ||
    Object.keys(proxy.rpcPrefixes).length > 0 ||
    namespaced;
  if (!any) return null;
  const fromEnv = env[PROXY_SECRET_VARIABLE];
  return {
    connect: proxy.connect,
    refresh: proxy.refresh,
    rpc: proxy.rpc,
    rpcPrefixes: proxy.rpcPrefixes,
    subscribe: proxy.subscribe,
    publish: proxy.publish,
    namespaces: proxy.namespaces,
    secret: proxy.secret ?? (fromEnv === undefined || fromEnv === '' ? null : fromEnv),
    timeoutMs: proxy.timeoutMs,
    maxResponseBytes: proxy.maxResponseBytes,
    maxConcurrency: proxy.maxConcurrency,
    maxQueued: proxy.maxQueued,
    pipelining: proxy.pipelining,
    pipelinedKinds: proxy.pipelinedKinds,
    breaker: proxy.breaker,
  };
}
