// CLI config: the zod schema of the `proxy` section (hooks and RPC forwarded to a backend over HTTP).
import { z } from 'zod';
import { DEFAULT_PIPELINED_KINDS, DEFAULT_PIPELINING, PROXY_REQUEST_KINDS } from '../../integrations/index.ts';
import { namespaceName, nonNegInt, posInt } from './schema-values.ts';

/** An endpoint of the backend proxy: an absolute http(s) URL, or null for none. */
const proxyUrl = z
  .string({ error: 'expected an http:// or https:// URL' })
  .min(1, { error: 'expected an http:// or https:// URL' })
  .refine(
    (value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: 'expected an http:// or https:// URL' },
  )
  .nullable();

/** The `proxy` section: hooks and RPC forwarded to a backend over HTTP (docs/backend-proxy.md). Descriptions: settings.ts. */
export const ProxyConfigSchema = z.strictObject({
  connect: proxyUrl.default(null),
  refresh: proxyUrl.default(null),
  rpc: proxyUrl.default(null),
  rpcPrefixes: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'expected a method prefix (1-64 of A-Z a-z 0-9 _ . : -)' }),
      proxyUrl.unwrap(),
    )
    .default({}),
  subscribe: proxyUrl.default(null),
  publish: proxyUrl.default(null),
  namespaces: z
    .record(namespaceName, z.strictObject({ subscribe: proxyUrl.optional(), publish: proxyUrl.optional() }))
    .default({}),
  secret: z
    .string({ error: 'expected a string' })
    .min(16, { error: 'expected at least 16 characters' })
    .nullable()
    .default(null),
  timeoutMs: posInt(600_000).default(3000),
  maxResponseBytes: posInt(64 * 1024 * 1024).default(65_536),
  maxConcurrency: posInt(65_536).default(64),
  maxQueued: nonNegInt(1_000_000).default(1024),
  pipelining: posInt(1024).default(DEFAULT_PIPELINING),
  pipelinedKinds: z
    .array(z.enum(PROXY_REQUEST_KINDS, { error: `expected one of ${PROXY_REQUEST_KINDS.join(', ')}` }), {
      error: 'expected a list of request kinds',
    })
    .max(PROXY_REQUEST_KINDS.length)
    .default([...DEFAULT_PIPELINED_KINDS]),
  breaker: z
    .strictObject({ failureThreshold: posInt(1_000_000).default(5), resetAfterMs: posInt(3_600_000).default(5000) })
    .prefault({}),
});
