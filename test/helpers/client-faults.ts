// Test helper for the client fault tests: a hub tuned for load (high rate limits, deep history), Node transports, waits.
import type { TestContext } from 'node:test';
import { WebSocket as UndiciWebSocket } from 'undici';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createWebSocket } from '../../src/engine/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  createOriginPolicy,
  RealtimeServer,
  signToken,
} from '../../src/realtime/index.ts';
import type { TransportFactory } from '../../src/client/index.ts';
import { SECRET } from './realtime.ts';

/** The engine's Node client as the SDK transport. */
export const engineTransport: TransportFactory = (url, protocols) => createWebSocket(url, { protocols }) as never;
/** undici's WHATWG WebSocket as the SDK transport. */
export const undiciTransport: TransportFactory = (url, protocols) => new UndiciWebSocket(url, protocols) as never;

export interface FaultHub {
  readonly hub: RealtimeServer;
  readonly port: number;
  /** Drains the hub and drops its broker (idempotent). */
  stop(): Promise<void>;
}

/** A hub whose limits do not get in the way of 1,000 msg/s or 1,000 clients from one address. */
export async function startFaultHub(
  t: TestContext,
  options: { readonly port?: number; readonly origins?: string[] } = {},
): Promise<FaultHub> {
  const broker = new MemoryBroker();
  const hub = new RealtimeServer({
    port: options.port ?? 0,
    broker,
    namespaces: createNamespaces({ chat: { historySize: 20_000, recoverOnJoin: 0 } }),
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e10, bytesBurst: 1e10 },
    connectionsPerMinutePerIp: 10_000_000,
    maxConnectionsPerUser: 100_000,
    maxStrikes: 1_000_000,
    originPolicy: createOriginPolicy({ allowedOrigins: options.origins ?? [] }),
  });
  const address = await hub.wss.listen();
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await hub.drain({ timeoutMs: 300 });
      await broker.close();
    })();
    return stopped;
  };
  t.after(stop);
  return { hub, port: address.port, stop };
}

/** An HS256 token for `sub`, valid for an hour (or `ttlMs`). */
export function tokenFor(sub: string, ttlMs = 3_600_000): Promise<string> {
  return signToken({ sub, roles: [], ttlMs }, { type: 'secret', secret: SECRET });
}

/** Polls `check` every 20 ms until it is true, or throws after `timeoutMs` with `describe()`. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  describe: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
