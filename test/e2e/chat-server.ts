// E2E helper: the chat page's server in this process (MemoryBroker, the `chat` namespace, anonymous and dev-token
// sign-in), the setup every in-process chat test shares.
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer, type SwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, Permissions } from '../../src/realtime/index.ts';
import { SECRET } from '../helpers/realtime.ts';

/** A listening chat server and what tests read from it. */
export interface ChatServer {
  readonly server: SwitchboardServer;
  readonly broker: MemoryBroker;
  readonly port: number;
}

/**
 * Starts the chat server on a free loopback port; close it with `server.close()`.
 * @param options `typing`: typing throttle and expiry (the realtime default when absent).
 */
export async function startChatServer(
  options: { typing?: { throttleMs: number; expireMs: number } } = {},
): Promise<ChatServer> {
  const broker = new MemoryBroker();
  const namespaces = createNamespaces({ chat: { historySize: 100, recoverOnJoin: 20 } });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces,
      permissions: new Permissions(namespaces),
      allowSameOrigin: true,
      authenticator: await createAuthenticator({
        keys: [{ type: 'secret', secret: SECRET }],
        anonymousRoles: ['user'],
      }),
      ...(options.typing === undefined ? {} : { typing: options.typing }),
    },
    devTokenKey: { type: 'secret', secret: SECRET },
  });
  const { port } = await server.listen();
  return { server, broker, port };
}
