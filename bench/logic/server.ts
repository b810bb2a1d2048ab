// Server of the server-logic benchmark (bench/logic.mjs): the Switchboard real-time layer (RealtimeServer +
// MemoryBroker, JSON subprotocol, anonymous clients, namespace `bench`) with the server logic named by LOGIC_MODE:
//   none        no hooks
//   hook-sync   an in-process onPublish that validates `data.text` and answers at once
//   hook-async  the same check in an async function (one promise per publish)
//   proxy       createHttpProxy forwarding every publish to the backend at BACKEND_URL (bench/logic/backend.mjs)
// Prints `listening PORT` and exits on SIGTERM or when stdin closes.
import { MemoryBroker } from '../../src/broker/index.ts';
import { createHttpProxy } from '../../src/integrations/index.ts';
import type { JsonValue } from '../../src/messages/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  RealtimeServer,
  type PublishContext,
  type PublishDecision,
  type ServerLogic,
} from '../../src/realtime/index.ts';

/** Longest text the hook accepts, like a chat message box. */
const MAX_TEXT = 2000;
const REFUSAL = {
  refuse: { code: 'invalid_message', message: `data.text must be a string of at most ${MAX_TEXT} characters` },
} as const;

/** A realistic publish hook: the payload must be an object whose `text` is a short string. */
function check(data: JsonValue): PublishDecision {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return REFUSAL;
  const text = (data as { readonly [key: string]: JsonValue })['text'];
  return typeof text === 'string' && text.length <= MAX_TEXT ? undefined : REFUSAL;
}

const mode = process.env['LOGIC_MODE'] ?? 'none';
let logic: ServerLogic | null;
let close = async (): Promise<void> => {};
switch (mode) {
  case 'none':
    logic = null;
    break;
  case 'hook-sync':
    logic = { onPublish: (context: PublishContext) => check(context.data) };
    break;
  case 'hook-async':
    logic = { onPublish: async (context: PublishContext) => check(context.data) };
    break;
  case 'proxy': {
    const url = process.env['BACKEND_URL'];
    if (url === undefined) throw new Error('LOGIC_MODE=proxy needs BACKEND_URL');
    // Defaults otherwise (64 requests in flight over keep-alive connections, 8 pipelined per connection, 3 s
    // deadline), signed as in production. The backend's publish endpoint only checks (allow-all), so it is
    // idempotent and publish is pipelined, as the target asks ("kept alive and pipelined");
    // PROXY_PIPELINING=1 turns pipelining off, for comparison.
    const depth = process.env['PROXY_PIPELINING'];
    const proxy = createHttpProxy({
      namespaces: { bench: { publish: url } },
      secret: 'bench-proxy-secret',
      pipelinedKinds: ['publish'],
      ...(depth === undefined ? {} : { pipelining: Number(depth) }),
    });
    logic = proxy;
    close = () => proxy.close();
    break;
  }
  default:
    throw new Error(`unknown LOGIC_MODE ${mode}: none | hook-sync | hook-async | proxy`);
}

const broker = new MemoryBroker();
const hub = new RealtimeServer({
  port: 0,
  broker,
  // Production defaults for the namespace (history 100); presence and join/leave off: one channel, many publishers.
  namespaces: createNamespaces({ bench: { presence: false, joinLeave: false, typing: false } }),
  authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
  connectionsPerMinutePerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
  rateLimit: { messagesPerSecond: 1_000_000, messagesBurst: 1_000_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
  engine: { pingIntervalMs: 0, handshakeTimeoutMs: 60_000 },
  authTimeoutMs: 60_000,
  ...(logic === null ? {} : { logic }),
});
const address = await hub.wss.listen();
process.stdout.write(`listening ${address.port} mode=${mode}\n`);
const stop = (): void => {
  hub
    .drain({ timeoutMs: 100 })
    .then(close)
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
