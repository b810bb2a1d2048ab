#!/usr/bin/env node
// Heap per channel, in process: what the MemoryBroker's channel record, the hub's LocalChannel and an idle channel's
// retained publication cost. Each scenario runs in a fresh process (bench/channel-heap/probe.ts, --expose-gc), which
// forces GC before and after creating N channels and divides the heap difference by N:
//   broker  - MemoryBroker alone, one shared handler subscribed to N channels;
//   hub     - RealtimeServer + MemoryBroker, sessions over an in-memory transport subscribing N channels through the
//             real path (one subscriber per channel, presence on; includes the subscriber's Subscription record);
//   publish - as hub, then one publication into every channel (history ring and latest created), left idle.
//
//   node bench/channel-heap.mjs                        # 20,000 channels, 3 repeats, writes bench/RESULTS.md section
//   node bench/channel-heap.mjs --channels 5000 --repeats 1 --no-write
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { helpFromHeader } from './lib/harness.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    channels: { type: 'string', default: '20000' },
    repeats: { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 11);

const SCENARIOS = {
  broker: 'MemoryBroker alone (one shared handler per channel)',
  hub: 'hub: LocalChannel + broker record + one subscriber with presence',
  publish: 'hub, then one publication per channel, idle (history kept)',
};
const channels = Number(args.channels);
const repeats = Number(args.repeats);
const load = loadavg()[0];

function probe(scenario) {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/channel-heap/probe.ts', scenario, String(channels)],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`${scenario} probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)).bytesPerChannel;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [scenario, label] of Object.entries(SCENARIOS)) {
  const runs = Array.from({ length: repeats }, () => probe(scenario));
  rows.push({ label, median: median(runs), runs });
  console.log(`${scenario}: median ${median(runs).toFixed(0)} B/channel (${runs.map((r) => r.toFixed(0)).join(', ')})`);
}

if (!args['no-write']) {
  const day = new Date().toISOString().slice(0, 10);
  const table = rows
    .map((r) => `| ${r.label} | ${r.median.toFixed(0)} | ${r.runs.map((x) => x.toFixed(0)).join(', ')} |`)
    .join('\n');
  writeSection(
    'bench/RESULTS.md',
    'channel-heap',
    `## Heap per channel (MemoryBroker and hub)

Command: \`node bench/channel-heap.mjs\` (${day}, ${channels.toLocaleString('en')} channels, ${repeats} repeat(s),
medians; 1-minute load average at start ${load.toFixed(1)} on 2 CPUs). V8 heap after forced GC, difference over the
channels created, per channel; heap figures do not depend on CPU load.

| scenario | bytes per channel | every run |
|---|---|---|
${table}
`,
  );
}
