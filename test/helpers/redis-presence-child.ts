// Test helper (child process): a RedisBroker node that adds presence entries, reports them, then waits to be killed.
import { RedisBroker } from '../../src/broker/index.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  channel: string;
  heartbeatMs: number;
  entries: { connection: string; user: string }[];
};
const broker = await RedisBroker.connect({ url: config.url, presenceHeartbeatMs: config.heartbeatMs });
broker.on('error', () => {});
for (const entry of config.entries) await broker.addPresence(config.channel, entry);
await broker.tickPresence(); // a heartbeat right now: the test measures from a known last beat
process.stdout.write(`${JSON.stringify({ ready: true, node: broker.nodeId, beatAt: Date.now() })}\n`);
setInterval(() => {}, 60_000); // stays alive until SIGKILL
