// Benchmark server: the Switchboard real-time layer (RealtimeServer + MemoryBroker), anonymous clients, one namespace.
// Prints `listening PORT` and exits on SIGTERM or when stdin closes.
import { MemoryBroker } from '../../src/broker/index.ts';
import { createAuthenticator, createNamespaces, RealtimeServer } from '../../src/realtime/index.ts';

const broker = new MemoryBroker();
const hub = new RealtimeServer({
  port: Number(process.env['PORT'] ?? 0),
  broker,
  // Production defaults for the namespace (history 100, slow-consumer policy 'close'); presence off as socket.io rooms have none.
  namespaces: createNamespaces({ bench: { presence: false, joinLeave: false, typing: false } }),
  authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  connectionsPerMinutePerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
  rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
  engine: { pingIntervalMs: 0, handshakeTimeoutMs: 60_000 },
  authTimeoutMs: 60_000,
});
const address = await hub.wss.listen();
process.stdout.write(`listening ${address.port}\n`);
const stop = (): void => {
  hub.drain({ timeoutMs: 100 }).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
