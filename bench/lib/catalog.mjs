// Benchmark catalog: the servers under test and the measures and their targets, as data for bench/run.mjs.

/**
 * A server program under test. Each prints `listening PORT` on stdout when ready and exits when its
 * stdin closes or on SIGTERM. `expect` checks the rest of that line (ws reports whether it really
 * loaded bufferutil, so "ws plain" cannot silently measure the native kernel).
 * @typedef {{ name: string, label: string, script: string, env: Record<string,string>, sio: boolean,
 *   expect?: RegExp, needsEngine?: boolean, onlyWhenNamed?: boolean, measures?: string[] }} ServerDef
 */

/** @type {ServerDef[]} */
export const SERVERS = [
  {
    name: 'ws',
    label: 'ws + bufferutil',
    script: 'bench/servers/ws.mjs',
    env: {},
    sio: false,
    expect: /bufferutil=yes/,
  },
  {
    name: 'ws-plain',
    label: 'ws plain',
    script: 'bench/servers/ws.mjs',
    // ws 8 skips `require('bufferutil')` when this is set (lib/buffer-util.js); the server verifies it.
    env: { WS_NO_BUFFER_UTIL: '1' },
    sio: false,
    expect: /bufferutil=no/,
  },
  { name: 'socketio', label: 'socket.io', script: 'bench/servers/socketio.mjs', env: {}, sio: true },
  {
    name: 'switchboard',
    label: 'Switchboard',
    script: 'bench/servers/switchboard.mjs',
    env: {},
    sio: false,
    needsEngine: true,
  },
  // The Node floor (bench/servers/node-floor.mjs): measured only when named, and only by `idle`.
  {
    name: 'node-floor',
    label: 'Node floor (no WebSocket code)',
    script: 'bench/servers/node-floor.mjs',
    env: {},
    sio: false,
    onlyWhenNamed: true,
    measures: ['idle'],
  },
  // The bare `net` floor (bench/servers/net-floor.mjs): net.Socket and a byte search for the key, no HTTP parser.
  {
    name: 'net-floor',
    label: 'net floor (no HTTP parser)',
    script: 'bench/servers/net-floor.mjs',
    env: {},
    sio: false,
    onlyWhenNamed: true,
    measures: ['idle'],
  },
];

/** The reference every ratio is computed against. */
export const BASELINE = 'ws';

/**
 * One figure taken from a wsload JSON report. A summary row without `target` has no target ratio:
 * its target cells say so (`noTarget`, e.g. "reported").
 * @typedef {{ key: string, label: string, get: (r: any) => number, digits: number,
 *   better?: 'higher' | 'lower', summary?: string, target?: { op: '>=' | '<=', ratio: number },
 *   noTarget?: string }} Column
 */

/**
 * A measure: how to call wsload and which figures to keep. `params(quick)` returns the mode-specific
 * wsload options; the harness adds `--url`, `--sio`, `--pid` and `--json`. `serverEnv` is added to
 * every server's environment for this measure, and its ready line must then match `expectReady`.
 * @typedef {{ name: string, aliases: string[], title: string, mode: 'echo' | 'bcast' | 'idle',
 *   path: string, params: (quick: boolean, limits: { idleConns: number }) => string[],
 *   serverEnv?: Record<string,string>, expectReady?: RegExp,
 *   columns: Column[], check: (r: any, args: string[]) => string[] }} MeasureDef
 */

const echoWindow = (quick) => (quick ? ['-T', '1', '-w', '0.5'] : ['-T', '5', '-w', '1']);

/** Generator-bound or incomplete runs are flagged in the results, never silently averaged. */
function commonChecks(r) {
  const out = [];
  if (r.error) out.push(`wsload: ${r.error}`);
  if (r.ready !== r.conns + (r.mode === 'bcast' ? 1 : 0)) out.push(`${r.ready} of ${r.conns} connections ready`);
  if (r.failed) out.push(`${r.failed} connections failed`);
  if (r.closed) out.push(`${r.closed} connections closed by the server`);
  return out;
}

function echoChecks(r) {
  const out = commonChecks(r);
  if (r.loadgen?.cpu_pct > 90) out.push(`load generator at ${r.loadgen.cpu_pct}% CPU: it may be the limit`);
  return out;
}

const serverCpuPct = { key: 'server_cpu_pct', label: 'server CPU %', get: (r) => r.server.cpu_pct, digits: 1 };
const sysShare = { key: 'sys_share', label: 'kernel share of server CPU', get: (r) => r.server.sys_share, digits: 2 };
const rssMb = { key: 'rss_mb', label: 'server RSS MB', get: (r) => r.server.rss_kb / 1024, digits: 1 };
const loadgenPct = { key: 'loadgen_cpu_pct', label: 'wsload CPU %', get: (r) => r.loadgen.cpu_pct, digits: 1 };

/** @type {MeasureDef[]} */
export const MEASURES = [
  {
    name: 'echo32',
    aliases: ['echo'],
    title: 'Echo, 32 B text messages (100 connections, 8 in flight each)',
    mode: 'echo',
    path: '/',
    params: (quick) => ['-c', '100', '-d', '8', '-s', '32', ...echoWindow(quick)],
    columns: [
      {
        key: 'msgs_per_s',
        label: 'msgs/s',
        get: (r) => r.msgs_per_s,
        digits: 0,
        better: 'higher',
        summary: 'echo 32 B msgs/s',
        target: { op: '>=', ratio: 2.0 },
      },
      {
        key: 'cpu_ms_per_1k',
        label: 'server CPU ms per 1000 msgs',
        get: (r) => r.server.sched_cpu_ms_per_1k_msgs,
        digits: 2,
        better: 'lower',
        summary: 'server CPU ms per 1000 msgs (32 B)',
        target: { op: '<=', ratio: 0.5 },
      },
      serverCpuPct,
      sysShare,
      rssMb,
      loadgenPct,
    ],
    check: echoChecks,
  },
  {
    name: 'echo4k',
    aliases: ['echo'],
    title: 'Echo, 4 KiB text messages (100 connections, 8 in flight each)',
    mode: 'echo',
    path: '/',
    params: (quick) => ['-c', '100', '-d', '8', '-s', '4096', ...echoWindow(quick)],
    columns: [
      {
        key: 'msgs_per_s',
        label: 'msgs/s',
        get: (r) => r.msgs_per_s,
        digits: 0,
        better: 'higher',
        summary: 'echo 4 KiB msgs/s',
        target: { op: '>=', ratio: 1.5 },
      },
      {
        key: 'cpu_ms_per_1k',
        label: 'server CPU ms per 1000 msgs',
        get: (r) => r.server.sched_cpu_ms_per_1k_msgs,
        digits: 2,
        better: 'lower',
      },
      serverCpuPct,
      sysShare,
      rssMb,
      loadgenPct,
    ],
    check: echoChecks,
  },
  {
    name: 'latency',
    aliases: ['p99'],
    title: 'Latency at a fixed 20,000 msgs/s (open loop, 100 connections, 32 B)',
    mode: 'echo',
    path: '/',
    params: (quick) => ['-c', '100', '-r', '20000', '-s', '32', ...echoWindow(quick)],
    columns: [
      {
        key: 'p99_us',
        label: 'p99 µs',
        get: (r) => r.lat_us.p99,
        digits: 0,
        better: 'lower',
        summary: 'p99 latency at a fixed 20,000 msgs/s (µs)',
        target: { op: '<=', ratio: 0.6 },
      },
      { key: 'p50_us', label: 'p50 µs', get: (r) => r.lat_us.p50, digits: 0, better: 'lower' },
      { key: 'p999_us', label: 'p99.9 µs', get: (r) => r.lat_us.p999, digits: 0, better: 'lower' },
      { key: 'msgs_per_s', label: 'achieved msgs/s', get: (r) => r.msgs_per_s, digits: 0 },
      serverCpuPct,
      { key: 'sched_lag_us', label: 'wsload send lag max µs', get: (r) => r.sched_lag_max_us, digits: 0 },
      loadgenPct,
    ],
    check: (r, args) => {
      const out = echoChecks(r);
      const rate = Number(args[args.indexOf('-r') + 1]);
      if (r.msgs_per_s < rate * 0.97)
        out.push(`achieved ${Math.round(r.msgs_per_s)} of ${rate} msgs/s: the server fell behind`);
      return out;
    },
  },
  {
    name: 'fanout',
    aliases: ['bcast'],
    title: 'Fan-out of 100 B messages to 10,000 connections (one publisher, one message per round)',
    mode: 'bcast',
    path: '/bcast',
    params: (quick) =>
      quick ? ['-c', '1000', '-n', '10', '-s', '100', '--settle', '0.3'] : ['-c', '10000', '-n', '50', '-s', '100'],
    columns: [
      {
        key: 'cpu_us_per_delivery',
        label: 'server CPU µs per delivery',
        get: (r) => r.server.cpu_us_per_delivery,
        digits: 2,
        better: 'lower',
        summary: 'fan-out of 100 B to 10,000 conns: server CPU µs per delivery',
        target: { op: '<=', ratio: 0.75 },
      },
      { key: 'round_ms', label: 'round median ms', get: (r) => r.round_ms.median, digits: 1, better: 'lower' },
      {
        key: 'deliveries_per_s',
        label: 'deliveries/s within rounds',
        get: (r) => r.deliveries_per_s_in_rounds,
        digits: 0,
        better: 'higher',
      },
      sysShare,
      rssMb,
      {
        key: 'loadgen_ms_per_round',
        label: 'wsload CPU ms per round',
        get: (r) => r.loadgen.cpu_ms_per_round,
        digits: 1,
      },
    ],
    check: commonChecks,
  },
  {
    name: 'idle',
    aliases: ['handshake', 'rss'],
    title: 'Idle connections: RSS per connection, and server CPU per handshake while opening them',
    mode: 'idle',
    path: '/',
    params: (quick, limits) =>
      quick ? ['-c', '1000', '--hold', '1'] : ['-c', String(limits.idleConns), '--hold', '5'],
    columns: [
      {
        key: 'bytes_per_conn',
        label: 'bytes of RSS per idle connection',
        get: (r) => r.server.bytes_per_conn,
        digits: 0,
        better: 'lower',
        summary: 'bytes of RSS per idle connection',
        target: { op: '<=', ratio: 0.5 },
      },
      {
        key: 'cpu_us_per_handshake',
        label: 'server CPU µs per handshake',
        get: (r) => r.connect_cpu_us_per_handshake,
        digits: 1,
        better: 'lower',
        summary: 'server CPU µs per handshake',
        target: { op: '<=', ratio: 0.5 },
      },
      {
        key: 'handshakes_per_s',
        label: 'handshakes/s',
        get: (r) => r.connect.handshakes_per_s,
        digits: 0,
        better: 'higher',
      },
      { key: 'rss_after_mb', label: 'server RSS after MB', get: (r) => r.server.rss_kb_after / 1024, digits: 1 },
      { key: 'loadgen_connect_s', label: 'wsload CPU s (connect)', get: (r) => r.loadgen.cpu_s_connect, digits: 2 },
    ],
    check: commonChecks,
  },
  {
    name: 'deflate',
    aliases: ['compression', 'permessage-deflate'],
    title: 'permessage-deflate: echo of 2 KiB JSON-like text, 1,000 compressing connections (1 in flight each)',
    mode: 'echo',
    path: '/',
    // 2 KiB is well above every server's 1,024-byte threshold (with socket.io's framing too), so
    // every message is compressed both ways; depth 1 × 1,000 connections keeps 1,000 in flight.
    params: (quick) => ['-c', quick ? '200' : '1000', '-d', '1', '-s', '2048', '--deflate', ...echoWindow(quick)],
    serverEnv: { BENCH_DEFLATE: '1' },
    expectReady: /deflate=on/,
    columns: [
      {
        key: 'msgs_per_s',
        label: 'msgs/s',
        get: (r) => r.msgs_per_s,
        digits: 0,
        better: 'higher',
        summary: 'permessage-deflate echo 2 KiB, 1,000 conns: msgs/s',
        noTarget: 'reported',
      },
      {
        key: 'cpu_ms_per_1k',
        label: 'server CPU ms per 1000 msgs',
        get: (r) => r.server.sched_cpu_ms_per_1k_msgs,
        digits: 1,
        better: 'lower',
        summary: 'permessage-deflate: server CPU ms per 1000 msgs',
        noTarget: 'reported',
      },
      {
        key: 'bytes_per_conn',
        label: 'bytes of RSS per compressing connection',
        get: (r) => r.server.bytes_per_conn,
        digits: 0,
        better: 'lower',
        summary: 'permessage-deflate: bytes of RSS per compressing connection',
        noTarget: 'reported',
      },
      { key: 'echo_wire', label: 'compressed echo bytes on the wire', get: (r) => r.deflate.rsv1_wire_mean, digits: 0 },
      serverCpuPct,
      {
        key: 'rss_before_mb',
        label: 'server RSS MB before connecting',
        get: (r) => r.server.rss_kb_before / 1024,
        digits: 1,
      },
      { key: 'rss_mb', label: 'server RSS MB at the end of the window', get: (r) => r.server.rss_kb / 1024, digits: 1 },
      loadgenPct,
    ],
    check: (r) => {
      const out = echoChecks(r);
      const d = r.deflate;
      if (!d || d.accepted === 0) out.push('permessage-deflate was not negotiated');
      else if (d.rsv1_msgs === 0) out.push('the server sent no compressed message');
      else if (d.rsv1_share < 0.99)
        out.push(
          `only ${(d.rsv1_share * 100).toFixed(1)} % of the echoes were compressed (uncompressed: ${d.plain_msgs})`,
        );
      return out;
    },
  },
];
