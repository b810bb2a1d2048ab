// Test helper: a Switchboard server (HTTP API, /ws and the HTTP transports of docs/protocol.md § 15) tuned for the
// client transport tests: limits that do not get in the way of thousands of messages a second, a deep history.
import type { TestContext } from 'node:test';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer, type SwitchboardServerOptions } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, Permissions } from '../../src/realtime/index.ts';
import { SECRET } from './realtime.ts';

/** A listening server. */
export interface TransportServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port>/ws`. */
  readonly url: string;
  /** Stops it (idempotent). */
  close(): Promise<void>;
}

/** Starts the server on a free loopback port; closed in `t.after`. */
export async function startTransportServer(
  t: TestContext,
  options: { readonly httpTransports?: SwitchboardServerOptions['httpTransports'] } = {},
): Promise<TransportServer> {
  const broker = new MemoryBroker();
  const namespaces = createNamespaces({ chat: { historySize: 20_000, recoverOnJoin: 0 } });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces,
      permissions: new Permissions(namespaces),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
      rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e10, bytesBurst: 1e10 },
      connectionsPerMinutePerIp: 10_000_000,
      maxConnectionsPerUser: 100_000,
      maxStrikes: 1_000_000,
    },
    webRoot: null,
    ...(options.httpTransports === undefined ? {} : { httpTransports: options.httpTransports }),
  });
  const { port } = await server.listen();
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await server.close({ timeoutMs: 500 });
      await broker.close();
    })();
    return closed;
  };
  t.after(close);
  return { port, url: `ws://127.0.0.1:${port}/ws`, close };
}
