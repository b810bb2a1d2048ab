// Benchmark server: one Switchboard HTTP server (createSwitchboardServer + MemoryBroker), anonymous clients, namespace
// `bench`. It serves every Switchboard row of bench/transports.mjs on one port: WebSocket `/ws`, plain EventSource
// `/sse`, and the HTTP sessions `/http/stream`, `/http/poll`, `/http/send` when this tree has them.
// Prints `listening PORT` and exits on SIGTERM or when stdin closes.
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces } from '../../src/realtime/index.ts';

const server = await createSwitchboardServer({
  port: Number(process.env['PORT'] ?? 0),
  webRoot: null,
  realtime: {
    broker: new MemoryBroker(),
    // Production defaults for the namespace (history 100, slow-consumer policy 'close'); presence off as socket.io
    // rooms have none.
    namespaces: createNamespaces({ bench: { presence: false, joinLeave: false, typing: false } }),
    authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
    connectionsPerMinutePerIp: 1_000_000,
    maxConnectionsPerUser: 1_000_000,
    rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
    // Heartbeats off for the run, as socket.io's are (pingInterval of an hour).
    engine: { pingIntervalMs: 0, handshakeTimeoutMs: 60_000 },
    authTimeoutMs: 60_000,
  },
});
const address = await server.listen();
process.stdout.write(`listening ${address.port}\n`);
const stop = (): void => {
  server.close({ timeoutMs: 100 }).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
