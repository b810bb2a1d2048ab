// Test helper: a Switchboard HTTP server (MemoryBroker) for the GET /sse and HTTP read tests, and tokens for it.
import type { TestContext } from 'node:test';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer, type SwitchboardServerOptions } from '../../src/http/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  signToken,
  type NamespaceConfigInput,
} from '../../src/realtime/index.ts';
import { SECRET } from './realtime.ts';

const NAMESPACES: Record<string, NamespaceConfigInput> = {
  ticker: { historySize: 100, recoverOnJoin: 0, presence: false, joinLeave: false, allowClientPublish: false },
  small: { historySize: 5, recoverOnJoin: 0, presence: false },
  staff: { roles: { subscribe: ['staff'] } },
  // Anonymous identities may not subscribe here: their role lacks it.
  members: { roles: { subscribe: ['user'] } },
  vault: { roles: { history: ['staff'], presence: ['staff'] } },
  nohist: { historySize: 0, recoverOnJoin: 0, presence: false },
};

/** Starts a server on a free port (anonymous role `anonymous`), closed in `t.after`. */
export async function startSse(
  t: TestContext,
  options: Partial<Omit<SwitchboardServerOptions, 'realtime'>> & {
    realtime?: Partial<SwitchboardServerOptions['realtime']>;
  } = {},
) {
  const { realtime, ...rest } = options;
  const broker = realtime?.broker ?? new MemoryBroker();
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces(NAMESPACES),
      authenticator: await createAuthenticator({
        keys: [{ type: 'secret', secret: SECRET }],
        anonymousRoles: ['anonymous'],
      }),
      ...realtime,
    },
    webRoot: null,
    ...rest,
  });
  const address = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    await broker.close();
  });
  const base = `http://127.0.0.1:${address.port}`;
  return {
    server,
    base,
    port: address.port,
    hub: server.hub,
    token: (sub: string, extra: { roles?: string[]; ttlMs?: number; now?: () => number } = {}) =>
      signToken(
        { sub, ttlMs: extra.ttlMs ?? 3_600_000, ...(extra.roles ? { roles: extra.roles } : {}) },
        { type: 'secret', secret: SECRET },
        extra.now ? { now: extra.now } : {},
      ),
  };
}
