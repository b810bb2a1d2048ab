#!/usr/bin/env node
// Benchmark harness: every measure × every server, fresh pinned processes, medians into bench/RESULTS.md.
//
// Usage: node bench/run.mjs [--quick] [--repeats N] [--only NAME[,NAME]] [--out-dir DIR] [--results FILE] [--no-build] [--nice=N]
//   --quick      smoke run: 1 repeat, 1 s windows, 1,000 connections for fan-out and idle, 200 for deflate (not for quoting)
//   --only       measure names (echo32 echo4k latency fanout idle deflate, or aliases echo p99 bcast handshake rss compression)
//                and/or server names (ws ws-plain socketio switchboard); several allowed
//   --out-dir    raw JSON per run plus summary.json (default bench/out/<timestamp>/, gitignored)
//   --results    Markdown file (default bench/RESULTS.md for a full unfiltered run, else <out-dir>/RESULTS.md)
//   --no-build   do not run `npm run build` before measuring Switchboard (dist/ must exist)
//   --nice=N     run server and wsload under `nice -n N` (N < 0 needs root) on a machine shared with other work
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BASELINE, MEASURES, SERVERS } from './lib/catalog.mjs';
import { markedSections } from './lib/sections.mjs';
import { renderMarkdown, summarize, fmt } from './lib/report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WSLOAD_DIR = join(ROOT, 'bench', 'wsload');
const WSLOAD = join(ROOT, 'bench', 'out', 'bin', 'wsload');
const HOST = '127.0.0.1';
/** The README of wsload: the hard open-files limit of this machine kind is 20,000, so ~19,000 is the largest idle point. */
const IDLE_CONNS_MAX = 19_000;
const SERVER_READY_TIMEOUT_MS = 20_000;

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repeats: { type: 'string' },
    only: { type: 'string', multiple: true, default: [] },
    'out-dir': { type: 'string' },
    results: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    nice: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(
    `${readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(3)
      .filter((_l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('//')))
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n')}\n`,
  );
  process.exit(0);
}

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
function fail(msg) {
  process.stderr.write(`[bench] error: ${msg}\n`);
  process.exit(1);
}

// ---------- selection ----------
const tokens = opts.only
  .flatMap((s) => s.split(','))
  .map((s) => s.trim())
  .filter(Boolean);
const measureTokens = tokens.filter((t) => MEASURES.some((m) => m.name === t || m.aliases.includes(t)));
const serverTokens = tokens.filter((t) => SERVERS.some((s) => s.name === t));
const unknown = tokens.filter((t) => !measureTokens.includes(t) && !serverTokens.includes(t));
if (unknown.length > 0) {
  fail(
    `unknown --only name(s) ${unknown.map((u) => `"${u}"`).join(', ')}; measures: ${MEASURES.map((m) => m.name).join(' ')}; servers: ${SERVERS.map((s) => s.name).join(' ')}`,
  );
}
const measures = MEASURES.filter(
  (m) => measureTokens.length === 0 || measureTokens.some((t) => m.name === t || m.aliases.includes(t)),
);
let servers = SERVERS.filter(
  (s) => (serverTokens.length === 0 && s.onlyWhenNamed !== true) || serverTokens.includes(s.name),
);
const misfit = servers.filter((s) => s.measures !== undefined && measures.some((m) => !s.measures.includes(m.name)));
if (misfit.length > 0)
  fail(
    `${misfit.map((s) => `"${s.name}"`).join(', ')} only takes part in: ${misfit.map((s) => s.measures.join(' ')).join('; ')} (add --only idle)`,
  );
const quick = opts.quick;
const repeats = opts.repeats ? Number(opts.repeats) : quick ? 1 : 3;
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20)
  fail(`--repeats must be an integer from 1 to 20, got "${opts.repeats}"`);
const filtered = tokens.length > 0;
const niceness = Number(opts.nice);
if (!Number.isInteger(niceness) || niceness < -20 || niceness > 19)
  fail(`--nice must be an integer from -20 to 19, got "${opts.nice}"`);
/** Command prefix; `nice` then execs taskset, so the PID is still the measured process. */
const NICE = niceness === 0 ? '' : `nice -n ${niceness} `;
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = resolve(opts['out-dir'] ?? join(ROOT, 'bench', 'out', `${quick ? 'quick-' : ''}${stamp}`));
const resultsPath = resolve(
  opts.results ?? (quick || filtered ? join(outDir, 'RESULTS.md') : join(ROOT, 'bench', 'RESULTS.md')),
);
const notes = [];

// ---------- preflight ----------
if (process.platform !== 'linux') fail('the benchmarks read /proc and pin with taskset: Linux only');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (!has('taskset'))
  fail('taskset not found (package util-linux): the server and the load generator must be pinned to separate CPUs');
const compiler = ['cc', 'gcc', 'clang'].find(has);
if (!compiler)
  fail('no C compiler found: wsload (bench/wsload/wsload.c) needs gcc. Install it, e.g. `apt-get install gcc make`');
const ncpu = availableParallelism();
const LOADGEN_CPU = '0';
const SERVER_CPU = ncpu >= 2 ? '1' : '0';
if (ncpu < 2)
  notes.push(
    'Only one CPU: server and load generator shared CPU 0, so every figure is pessimistic and ratios are the only meaningful output.',
  );
const hardNofile = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
const nofile = hardNofile === 'unlimited' ? 1_048_576 : Number(hardNofile);
const idleConns = Math.max(100, Math.min(IDLE_CONNS_MAX, nofile - 1000));
if (!quick && idleConns < IDLE_CONNS_MAX)
  notes.push(`The open-files limit (${nofile}) allowed ${idleConns} idle connections, not ${IDLE_CONNS_MAX}.`);

// ---------- build wsload ----------
{
  const make = has('make')
    ? spawnSync('make', ['-s', '-C', WSLOAD_DIR, `CC=${compiler}`, `OUT=${dirname(WSLOAD)}`], { encoding: 'utf8' })
    : spawnSync(
        'sh',
        [
          '-c',
          `mkdir -p "${dirname(WSLOAD)}" && ${compiler} -O2 -g -Wall -Wextra -Wno-unused-parameter -o "${WSLOAD}" "${join(WSLOAD_DIR, 'wsload.c')}" -lz`,
        ],
        { encoding: 'utf8' },
      );
  if (make.status !== 0 || !existsSync(WSLOAD)) {
    const zlib = /zlib\.h|-lz/.test(`${make.stdout}${make.stderr}`)
      ? ' (wsload links zlib for --deflate: install zlib1g-dev, e.g. `apt-get install zlib1g-dev`)'
      : '';
    fail(`building wsload failed${zlib}:\n${make.stdout}${make.stderr}`);
  }
}

// ---------- Switchboard: measured only once the engine exists ----------
let status = 'all servers measured';
const sbWanted = servers.some((s) => s.needsEngine);
if (sbWanted) {
  const ready =
    existsSync(join(ROOT, 'src', 'engine', 'index.ts')) &&
    existsSync(join(ROOT, 'bench', 'servers', 'switchboard.mjs'));
  if (!ready) {
    if (serverTokens.includes('switchboard'))
      fail('Switchboard was asked for but src/engine/index.ts or bench/servers/switchboard.mjs does not exist yet');
    servers = servers.filter((s) => !s.needsEngine);
    status = 'peers only; Switchboard pending (src/engine is not ready)';
  } else {
    if (!opts['no-build']) {
      log('npm run build (Switchboard is measured from the compiled dist/)');
      const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
      if (b.status !== 0) {
        if (!existsSync(join(ROOT, 'dist', 'engine', 'index.js')))
          fail(`npm run build failed and dist/engine/index.js is missing:\n${b.stdout}${b.stderr}`);
        log(`warning: npm run build reported errors; measuring dist/ as emitted:\n${b.stdout.slice(0, 2000)}`);
        notes.push(
          '`npm run build` reported type errors at the time of this run; Switchboard was measured from the JavaScript tsc emitted anyway.',
        );
      }
    } else if (!existsSync(join(ROOT, 'dist', 'engine', 'index.js')))
      fail('--no-build given but dist/engine/index.js does not exist');
  }
}
if (servers.length === 0) fail('no server left to measure');
if (quick) status = `quick smoke run (1 s windows, small counts): not for quoting; ${status}`;

// ---------- process handling ----------
const active = new Set();
function cleanupAndExit(code) {
  for (const child of active) {
    try {
      process.kill(-child.pid, 'SIGKILL'); // each child leads its own process group (detached)
    } catch {
      child.kill('SIGKILL');
    }
  }
  process.exit(code);
}
process.on('SIGINT', () => cleanupAndExit(130));
process.on('SIGTERM', () => cleanupAndExit(143));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- contamination: other processes on the benchmark CPUs ----------
// Other work on this machine (test suites, compilers) shares both CPUs. Each run records how much CPU
// processes other than the pinned server (core SERVER_CPU) and wsload (core LOADGEN_CPU) used on those
// cores; runs above CONTAMINATED_PCT are re-run once while the budget lasts, and flagged otherwise.
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const CONTAMINATED_PCT = 10;
const QUIET_PCT = 15;
let extraBudgetMs = quick ? 0 : 10 * 60_000; // total time a full run may spend waiting for quiet and re-running

/**
 * Busy ticks per CPU from /proc/stat: user+nice+system+steal. irq and softirq are left out: loopback
 * TCP runs its receive path in softirq on the sending CPU, which is the benchmark's own traffic and
 * is charged to no process.
 */
function cpuBusyTicks() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = f[0] + f[1] + f[2] + f[7];
  }
  return out;
}
/** utime+stime ticks of a process (all threads), or NaN once it is gone. */
function procTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return Number.NaN;
  }
}
/** Waits (within the budget) until the whole machine uses less than QUIET_PCT of one CPU; returns ms waited. */
async function waitQuiet(maxMs) {
  const t = Date.now();
  for (;;) {
    const a = cpuBusyTicks();
    await sleep(500);
    const b = cpuBusyTicks();
    const busy = Object.keys(b).reduce((n, k) => n + (b[k] - (a[k] ?? 0)), 0);
    const pct = (busy / CLK_TCK / 0.5) * 100;
    if (pct < QUIET_PCT || Date.now() - t >= maxMs) return Date.now() - t;
  }
}

function exited(child) {
  return new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );
}

/** Server environment for one measure: the server's own settings plus the measure's (e.g. BENCH_DEFLATE). */
const serverEnv = (def, measure) => ({ ...def.env, ...(measure.serverEnv ?? {}) });

/** Starts a server pinned to SERVER_CPU with the raised fd limit; resolves once it printed its port. */
async function startServer(def, measure) {
  const env = { ...process.env, NODE_OPTIONS: '' };
  delete env.BENCH_DEFLATE; // only the deflate measure turns compression on, never an inherited variable
  Object.assign(env, serverEnv(def, measure));
  if (!('WS_NO_BUFFER_UTIL' in def.env)) delete env.WS_NO_BUFFER_UTIL;
  // `exec` twice keeps one PID from sh to taskset to node, so --pid samples the server itself.
  const script = `ulimit -n ${nofile} 2>/dev/null; exec ${NICE}taskset -c ${SERVER_CPU} "$@"`;
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, def.script], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  active.add(child);
  child.once('exit', () => active.delete(child));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
  });
  const line = await new Promise((resolveLine, reject) => {
    let buf = '';
    const timer = setTimeout(
      () =>
        reject(new Error(`${def.name} did not print "listening PORT" within ${SERVER_READY_TIMEOUT_MS} ms\n${stderr}`)),
      SERVER_READY_TIMEOUT_MS,
    );
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      const m = /^listening (\d+).*$/m.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolveLine(m[0]);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${def.name} exited (${code ?? sig}) before listening\n${stderr}`));
    });
  });
  for (const expect of [def.expect, measure.expectReady]) {
    if (expect && !expect.test(line)) {
      await stopServer(child);
      throw new Error(`${def.name}: ready line "${line}" does not match ${expect}`);
    }
  }
  return { child, port: Number(/^listening (\d+)/.exec(line)[1]), line, stderr: () => stderr };
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(t);
}

function wsloadArgs(measure, def, port) {
  const path = def.sio ? '/' : measure.path; // wsload --sio turns "/" into /socket.io/?EIO=4&transport=websocket
  return [
    measure.mode,
    '--url',
    `ws://${HOST}:${port}${path}`,
    ...measure.params(quick, { idleConns }),
    ...(def.sio ? ['--sio'] : []),
  ];
}

const TIMES_MARK = '@@wsload-times@@';
function runWsload(args) {
  return new Promise((resolveRun) => {
    // The shell's `times` prints the CPU its children (taskset → wsload) used, after they exited.
    const script = `${NICE}taskset -c ${LOADGEN_CPU} "$@"; s=$?; echo ${TIMES_MARK} >&2; times >&2; exit $s`;
    const child = spawn('sh', ['-c', script, 'sh', WSLOAD, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    active.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (stderr.length < 20_000) stderr += d;
    });
    // wsload bounds itself with --max-time; this is the harness's own backstop.
    const t = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.once('exit', (code, sig) => {
      clearTimeout(t);
      active.delete(child);
      const at = stderr.lastIndexOf(TIMES_MARK);
      let wsloadTicks = Number.NaN;
      if (at >= 0) {
        // Second line of `times`: children's user and system time, e.g. "0m1.230000s 0m0.450000s".
        const children =
          stderr
            .slice(at + TIMES_MARK.length)
            .trim()
            .split('\n')[1] ?? '';
        const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
          (n, m) => n + Number(m[1]) * 60 + Number(m[2]),
          0,
        );
        wsloadTicks = secs * CLK_TCK;
        stderr = stderr.slice(0, at);
      }
      resolveRun({ code: code ?? sig, stdout, stderr, wsloadTicks });
    });
  });
}

/** One measurement: fresh server, one wsload run against it, server stopped. */
async function measureOnce(measure, def) {
  const started = new Date().toISOString();
  const load0 = loadavg()[0];
  let server;
  try {
    server = await startServer(def, measure);
  } catch (e) {
    return { ok: false, started, warnings: [String(e.message).split('\n')[0]], error: String(e.message) };
  }
  const args = [...wsloadArgs(measure, def, server.port), '--pid', String(server.child.pid), '--json'];
  const cpu0 = cpuBusyTicks();
  const srv0 = procTicks(server.child.pid);
  const w0 = Date.now();
  const run = await runWsload(args);
  const wallS = (Date.now() - w0) / 1000;
  const srv1 = procTicks(server.child.pid);
  const cpu1 = cpuBusyTicks();
  const serverDied = server.child.exitCode !== null || server.child.signalCode !== null;
  await stopServer(server.child);
  const pct = (ticks) => Math.max(0, Math.round((ticks / CLK_TCK / wallS) * 1000) / 10);
  const foreign = {
    server_cpu: pct(cpu1[SERVER_CPU] - cpu0[SERVER_CPU] - (srv1 - srv0)),
    loadgen_cpu: SERVER_CPU === LOADGEN_CPU ? Number.NaN : pct(cpu1[LOADGEN_CPU] - cpu0[LOADGEN_CPU] - run.wsloadTicks),
  };
  const result = {
    started,
    load1_before: load0,
    load1_after: loadavg()[0],
    foreign_cpu_pct: foreign,
    ready_line: server.line,
    args,
    exit: run.code,
    wsload_stderr: run.stderr,
    server_stderr: server.stderr(),
  };
  const jsonLine = run.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  let report;
  try {
    report = jsonLine ? JSON.parse(jsonLine) : undefined;
  } catch {
    report = undefined;
  }
  const warnings = [];
  if (!report)
    warnings.push(
      `wsload exited ${run.code} without a JSON report: ${run.stderr.trim().split('\n').slice(-2).join(' / ')}`,
    );
  else warnings.push(...measure.check(report, args));
  if (serverDied)
    warnings.push(`server exited during the run: ${server.stderr().trim().split('\n').slice(-1)[0] ?? ''}`);
  if (run.code !== 0 && report) warnings.push(`wsload exited ${run.code}`);
  const contamination = Math.max(foreign.server_cpu, Number.isNaN(foreign.loadgen_cpu) ? 0 : foreign.loadgen_cpu);
  if (contamination > CONTAMINATED_PCT) {
    warnings.push(
      `other processes used ${foreign.server_cpu}% of the server's CPU and ${foreign.loadgen_cpu}% of wsload's during the run`,
    );
  }
  // Only runs whose figures are complete count toward medians; load-generator saturation is a caveat, not a failure.
  const fatal = warnings.filter(
    (w) =>
      !w.includes('load generator at') &&
      !w.includes('fell behind') &&
      !w.includes('other processes') &&
      !w.includes('of the echoes were compressed'),
  );
  return {
    ...result,
    ok: Boolean(report) && fatal.length === 0,
    contaminated: contamination > CONTAMINATED_PCT,
    report,
    warnings,
  };
}

// ---------- run ----------
mkdirSync(outDir, { recursive: true });
const t0 = Date.now();
const runs = [];
const commands = {};
const primaryOf = (m) => m.columns[0];
log(
  `${measures.length} measure(s) × ${servers.length} server(s) × ${repeats} repeat(s); server on CPU ${SERVER_CPU}, wsload on CPU ${LOADGEN_CPU}; raw JSON in ${relative(ROOT, outDir) || outDir}`,
);
if (status.includes('pending')) log('Switchboard is pending: src/engine/index.ts does not exist yet');

for (let rep = 1; rep <= repeats; rep++) {
  for (const measure of measures) {
    // Rotate the server order each repeat so no server always runs first (cold caches) or last.
    const order = servers.map((_, i) => servers[(i + rep - 1) % servers.length]);
    for (const def of order) {
      if (extraBudgetMs > 0) extraBudgetMs -= await waitQuiet(Math.min(10_000, extraBudgetMs));
      let r = await measureOnce(measure, def);
      if (!r.ok) {
        log(`${measure.name} ${def.name} rep ${rep} failed (${r.warnings.join('; ')}); retrying once`);
        await sleep(2000);
        r = await measureOnce(measure, def);
      } else if (r.contaminated && extraBudgetMs > 0) {
        log(`${measure.name} ${def.name} rep ${rep}: ${r.warnings.at(-1)}; re-running once`);
        const t = Date.now();
        await waitQuiet(Math.min(20_000, extraBudgetMs));
        const again = await measureOnce(measure, def);
        extraBudgetMs -= Date.now() - t;
        const worst = (x) => Math.max(x.foreign_cpu_pct.server_cpu, x.foreign_cpu_pct.loadgen_cpu || 0);
        if (again.ok && worst(again) < worst(r)) r = again;
      }
      const entry = { measure: measure.name, server: def.name, rep, ...r };
      runs.push(entry);
      writeFileSync(join(outDir, `${measure.name}.${def.name}.${rep}.json`), JSON.stringify(entry, null, 2));
      const p = primaryOf(measure);
      let shown = '–';
      try {
        shown = r.report ? fmt(p.get(r.report), p.digits) : '–';
      } catch {
        /* a failed run has no figures */
      }
      log(
        `rep ${rep}/${repeats} ${measure.name.padEnd(8)} ${def.label.padEnd(16)} ${p.label}: ${shown}${r.warnings.length ? `  ⚠ ${r.warnings.join('; ')}` : ''}`,
      );
      const envPrefix = Object.entries(serverEnv(def, measure))
        .map(([k, v]) => `${k}=${v} `)
        .join('');
      commands[measure.name] ??= {};
      commands[measure.name][def.name] = {
        server: `${envPrefix}${NICE}taskset -c ${SERVER_CPU} node ${def.script}            # prints "listening PORT"`,
        wsload: `${NICE}taskset -c ${LOADGEN_CPU} bench/out/bin/wsload ${wsloadArgs(measure, def, 'PORT').join(' ')} --pid SERVER_PID --json`,
      };
      // Let the kernel reap the previous run's sockets before the next server starts.
      await sleep(measure.mode === 'echo' ? 500 : 1500);
    }
  }
}

// ---------- report ----------

const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
};
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
const dirty =
  spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
const minutes = ((Date.now() - t0) / 60_000).toFixed(1);
const meta = {
  date: new Date(t0).toISOString().replace(/\.\d+Z$/, 'Z'),
  cpu: `${cpus()[0]?.model ?? '?'} × ${ncpu}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  kernel: `Linux ${release()}`,
  node: process.version,
  peers: `ws ${pkgVersion('ws')}, bufferutil ${pkgVersion('bufferutil')}, socket.io ${pkgVersion('socket.io')} (engine.io ${pkgVersion('engine.io')})`,
  'open-files limit': String(nofile),
  priority:
    niceness === 0 ? 'default (nice 0)' : `server and wsload at nice ${niceness} (machine shared with other work)`,
  'git commit': `${git || '?'}${dirty ? ' + uncommitted changes under src/ (working tree as built)' : ''}`,
  'load average (1 min) over runs': `${fmt(Math.min(...runs.map((r) => r.load1_before)), 2)} – ${fmt(Math.max(...runs.map((r) => r.load1_after ?? r.load1_before)), 2)}`,
  'wall time': `${minutes} min`,
};
const summary = summarize(measures, servers, runs, BASELINE);
if (!servers.some((s) => s.name === BASELINE))
  notes.push(`The baseline (${BASELINE}) was not measured in this run, so there are no ratios.`);
const md = renderMarkdown({
  measures,
  servers,
  summary,
  baseline: BASELINE,
  meta,
  commands,
  status,
  notes,
  repeats,
  quick,
});
mkdirSync(dirname(resultsPath), { recursive: true });
writeFileSync(resultsPath, `${md}\n${markedSections(resultsPath)}`);
writeFileSync(
  join(outDir, 'summary.json'),
  JSON.stringify({ meta, status, quick, repeats, servers: servers.map((s) => s.name), summary, notes }, null, 2),
);
log(`done in ${minutes} min: ${relative(ROOT, resultsPath)}`);
const failed = runs.filter((r) => !r.ok);
if (failed.length > 0) {
  log(`${failed.length} run(s) failed: ${failed.map((r) => `${r.measure}/${r.server}#${r.rep}`).join(', ')}`);
  process.exit(2);
}
