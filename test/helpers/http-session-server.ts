// Test helper: a Switchboard HTTP server on a free port for the HTTP transports' tests (memory broker unless given).
import type { TestContext } from 'node:test';
import { type Broker, MemoryBroker } from '../../src/broker/index.ts';
import { createMetrics, createSwitchboardServer, type SwitchboardServerOptions } from '../../src/http/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  createOriginPolicy,
  type RealtimeServerOptions,
  signToken,
} from '../../src/realtime/index.ts';
import { SECRET, TEST_NAMESPACES } from './realtime.ts';

/** The browser origin the test servers allow. */
export const ALLOWED_ORIGIN = 'https://app.example.com';

/** A running server. */
export interface TestHttpServer {
  readonly base: string;
  readonly port: number;
  readonly server: Awaited<ReturnType<typeof createSwitchboardServer>>;
  readonly metrics: ReturnType<typeof createMetrics>;
  /** Mints a token for `sub`. */
  token(sub: string): Promise<string>;
  /** `Authorization` header of a token for `sub`. */
  auth(sub: string): Promise<Record<string, string>>;
}

/** Starts a server; closed in `t.after` (the broker too, unless it was given). */
export async function startHttpServer(
  t: TestContext,
  options: {
    readonly broker?: Broker;
    readonly anonymous?: boolean;
    readonly realtime?: Partial<Omit<RealtimeServerOptions, 'broker' | 'namespaces' | 'authenticator'>>;
  } & Partial<Omit<SwitchboardServerOptions, 'realtime'>> = {},
): Promise<TestHttpServer> {
  const { broker: given, anonymous, realtime, ...rest } = options;
  const broker = given ?? new MemoryBroker();
  const metrics = createMetrics({ defaultMetrics: false });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces(TEST_NAMESPACES),
      authenticator: await createAuthenticator({
        keys: [{ type: 'secret', secret: SECRET }],
        ...(anonymous === true ? { anonymousRoles: ['user'] } : {}),
      }),
      originPolicy: createOriginPolicy({ allowedOrigins: [ALLOWED_ORIGIN] }),
      ...realtime,
    },
    webRoot: null,
    metrics,
    ...rest,
  });
  const address = await server.listen();
  // Other nodes may forward requests here from now on.
  await server.httpTransports?.start();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    metrics.close();
    if (given === undefined) await broker.close();
  });
  const token = (sub: string): Promise<string> =>
    signToken({ sub, roles: ['user'], ttlMs: 3_600_000 }, { type: 'secret', secret: SECRET });
  return {
    base: `http://127.0.0.1:${address.port}`,
    port: address.port,
    server,
    metrics,
    token,
    auth: async (sub) => ({ Authorization: `Bearer ${await token(sub)}` }),
  };
}
