// One measurement of bench/channel-heap.mjs, in a process of its own (run with --expose-gc and tsx): the V8 heap
// N channels add, per channel, for one scenario:
//   broker  - MemoryBroker alone: one shared handler subscribed to N channels;
//   hub     - RealtimeServer + MemoryBroker: sessions over an in-memory transport subscribe N channels (one subscriber
//             each), so each channel has its LocalChannel, its broker record and the subscriber's presence;
//   publish - as hub, then one publication into every channel (history and latest created), left idle.
// Prints one JSON line: { scenario, channels, bytesPerChannel }.
import { MemoryBroker, type ChannelHandler } from '../../src/broker/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  RealtimeServer,
  type Session,
  signToken,
  type SessionTransport,
} from '../../src/realtime/index.ts';

const SECRET = 'bench-secret-that-is-at-least-32-bytes-long!';
/** Subscriptions per session: the sessions' own cost stays in the baseline, shared by many channels. */
const PER_SESSION = 500;

const [scenario = 'hub', countArg = '20000'] = process.argv.slice(2);
const channels = Number(countArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('Run with --expose-gc');

function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

/** Counts answers and drops every frame, so nothing of the client side stays in the heap. */
class CountingTransport implements SessionTransport {
  readonly remoteAddress = 'memory';
  readonly protocol = '';
  readonly bufferedAmount = 0;
  answers = 0;
  send(frame: string | Uint8Array): boolean {
    if (typeof frame === 'string' && frame.includes('"error"')) throw new Error(`Refused: ${frame}`);
    if (typeof frame === 'string' && (frame.includes('"subscribed"') || frame.includes('"reply"'))) this.answers++;
    return true;
  }
  close(): void {}
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 5));
}

const names = Array.from({ length: channels }, (_, i) => `room:c${String(i).padStart(7, '0')}`);
const broker = new MemoryBroker({ sweepIntervalMs: 0 });
let before = 0;
let after = 0;

if (scenario === 'broker') {
  const handler: ChannelHandler = () => {};
  before = heap();
  for (const name of names) await broker.subscribe(name, handler);
  after = heap();
} else {
  const hub = new RealtimeServer({
    broker,
    namespaces: createNamespaces({ room: { historySize: 100, recoverOnJoin: 0 } }),
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    maxSubscriptions: PER_SESSION,
    rateLimit: { messagesPerSecond: 1e9, messagesBurst: 1e9, bytesPerSecond: 1e12, bytesBurst: 1e12 },
  });
  const sessions: { session: Session; transport: CountingTransport; first: number }[] = [];
  for (let s = 0; s * PER_SESSION < channels; s++) {
    const transport = new CountingTransport();
    const session = hub.openSession(transport);
    const token = await signToken({ sub: `u${s}`, roles: [], ttlMs: 3_600_000 }, { type: 'secret', secret: SECRET });
    session.receive(JSON.stringify({ type: 'connect', rid: 1, token }));
    sessions.push({ session, transport, first: s * PER_SESSION });
  }
  await until(() => sessions.every((s) => s.transport.answers === 0 && s.session.user !== null));
  // Frames built once so their strings are in the baseline.
  const subscribes = names.map((channel, i) => JSON.stringify({ type: 'subscribe', rid: i + 2, channel }));
  const publishes = names.map((channel, i) =>
    JSON.stringify({ type: 'publish', rid: i + 2, channel, data: 'x', id: `p${i}` }),
  );
  before = heap();
  for (const { session, transport, first } of sessions) {
    const last = Math.min(channels, first + PER_SESSION);
    for (let i = first; i < last; i++) session.receive(subscribes[i]!);
    await until(() => transport.answers >= last - first);
  }
  if (scenario === 'publish') {
    for (const { session, transport, first } of sessions) {
      const last = Math.min(channels, first + PER_SESSION);
      for (let i = first; i < last; i++) session.receive(publishes[i]!);
      await until(() => transport.answers >= 2 * (last - first));
    }
  }
  after = heap();
  // Kept reachable until after the measurement.
  if (sessions.length === 0) console.log(subscribes.length, publishes.length);
}
const stats = broker.stats();
if (stats.channels < channels) throw new Error(`Expected ${channels} broker channels, got ${stats.channels}`);
console.log(JSON.stringify({ scenario, channels, bytesPerChannel: (after - before) / channels }));
process.exit(0);
