// CLI: `switchboard bench`: a load test over the real-time protocol (subscribe, publish, publish-to-delivery latency).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { isValidChannelName } from '../messages/index.ts';
import type { ClientOptions as EngineOptions } from '../engine/index.ts';
import type { HistogramRange, LatencySummary } from './bench-histogram.ts';
import { runLoad, UnreachableError, type LoadOptions, type LoadResult, type Progress } from './bench-load.ts';
import { clientToken, TOKEN_VARIABLE } from './client-token.ts';

/** Help text of `switchboard bench`. */
export const USAGE = `Usage: switchboard bench URL [--clients N] [--publishers N] [--rate N] [--size BYTES]
                       [--duration S] [--channel NAME] [--token JWT] [--json]

Load-tests a Switchboard server over its application protocol (subprotocol switchboard.v1.json):
--clients clients connect to URL, each subscribes to --channel, and --publishers of them publish
--rate messages per second in total for --duration seconds. Every payload carries its send time,
so each delivery gives a publish-to-delivery latency. A progress line goes to stderr once a second;
the summary (counts, errors by code, disconnects, latency percentiles and histogram) to stdout.

URL is ws:// or wss:// (http:// and https:// are mapped to them; the path / becomes /ws).

Options:
  -c, --clients N       connected subscribers (default 10, at most 10000)
  -p, --publishers N    how many of them publish (default: one per 40 msg/s of --rate, at most
                        --clients; a server's default per-connection limit is 50 msg/s)
  -r, --rate N          messages per second, all publishers together (default 100)
  -s, --size BYTES      padding bytes in each payload (default 64, at most 1048576)
  -d, --duration S      seconds of publishing (default 10, at most 3600)
      --channel NAME    channel to use (default chat:bench)
  -t, --token JWT       token every client connects with (default: $${TOKEN_VARIABLE} when set,
                        else anonymous, as serve --dev allows)
      --drain MS        time after the last publish for acks and deliveries on their way (default 5000)
      --local-address A connect from this local IP address (repeatable: clients take them in
                        turn, e.g. 127.0.0.1 and 127.0.0.2 to stay under per-address limits)
      --json            print the summary as JSON on stdout
  -q, --quiet           no progress line
  -k, --insecure        do not verify the server's TLS certificate
      --ca FILE         trust this CA certificate (PEM) for wss://
  -h, --help            show this help

Exit status: 0 when the run completed (errors, if any, are in the summary); 1 when no client could
connect and subscribe; 2 on usage errors or when the server cannot be reached.`;

/** A checked command line. */
interface Parsed {
  readonly load: Omit<LoadOptions, 'onProgress'>;
  readonly json: boolean;
  readonly quiet: boolean;
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number | string {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!INTEGER.test(raw) || value < min || value > max)
    return `invalid --${name} "${raw}": expected an integer from ${min} to ${max}`;
  return value;
}

function decimal(name: string, raw: string | undefined, fallback: number, max: number): number | string {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!DECIMAL.test(raw) || !(value > 0) || value > max)
    return `invalid --${name} "${raw}": expected a number above 0, at most ${max}`;
  return value;
}

function targetUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  const scheme = ({ 'ws:': 'ws:', 'http:': 'ws:', 'wss:': 'wss:', 'https:': 'wss:' } as Record<string, string>)[
    u.protocol
  ];
  if (scheme === undefined || u.hash !== '') return null;
  u.protocol = scheme;
  if (u.pathname === '/') u.pathname = '/ws';
  return u.href;
}

function parse(argv: string[], env: Readonly<Record<string, string | undefined>>): Parsed | string | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        clients: { type: 'string', short: 'c' },
        publishers: { type: 'string', short: 'p' },
        rate: { type: 'string', short: 'r' },
        size: { type: 'string', short: 's' },
        duration: { type: 'string', short: 'd' },
        channel: { type: 'string' },
        token: { type: 'string', short: 't' },
        drain: { type: 'string' },
        'local-address': { type: 'string', multiple: true },
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        insecure: { type: 'boolean', short: 'k' },
        ca: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return (err as Error).message;
  }
  const { values: v, positionals } = parsed;
  if (v.help === true) return null;
  if (positionals.length !== 1) return 'expected exactly one URL';
  const url = targetUrl(positionals[0]!);
  if (url === null)
    return `invalid URL "${positionals[0]!}": expected ws://, wss://, http:// or https:// without a fragment`;
  const clients = integer('clients', v.clients, 10, 1, 10_000);
  if (typeof clients === 'string') return clients;
  const rate = decimal('rate', v.rate, 100, 1_000_000);
  if (typeof rate === 'string') return rate;
  const publishers = integer('publishers', v.publishers, Math.min(clients, Math.ceil(rate / 40)), 1, clients);
  if (typeof publishers === 'string') return publishers;
  const size = integer('size', v.size, 64, 0, 1024 * 1024);
  if (typeof size === 'string') return size;
  const duration = decimal('duration', v.duration, 10, 3600);
  if (typeof duration === 'string') return duration;
  const drainMs = integer('drain', v.drain, 5000, 0, 600_000);
  if (typeof drainMs === 'string') return drainMs;
  const channel = v.channel ?? 'chat:bench';
  if (!isValidChannelName(channel))
    return `invalid --channel "${channel}": expected namespace:name (letters, digits, - _ . :)`;
  const token = clientToken(v.token, env);
  if (typeof token === 'string') return token;
  const localAddresses = v['local-address'] ?? [];
  const badAddress = localAddresses.find((a) => isIP(a) === 0);
  if (badAddress !== undefined) return `invalid --local-address "${badAddress}": expected an IPv4 or IPv6 address`;
  const socket: EngineOptions = {};
  if (v.insecure === true || v.ca !== undefined) {
    socket.tls = {};
    if (v.insecure === true) socket.tls.rejectUnauthorized = false;
    if (v.ca !== undefined) {
      try {
        socket.tls.ca = readFileSync(v.ca);
      } catch (err) {
        return `cannot read --ca "${v.ca}": ${(err as Error).message}`;
      }
    }
  }
  return {
    load: {
      url,
      clients,
      publishers,
      rate,
      size,
      durationMs: duration * 1000,
      channel,
      token: token?.token,
      drainMs,
      socket,
      localAddresses,
    },
    json: v.json === true,
    quiet: v.quiet === true,
  };
}

function ms(value: number | null): string {
  return value === null ? '-' : value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** The one-line progress report. */
function progressLine(p: Progress): string {
  return `[${(p.elapsedMs / 1000).toFixed(0).padStart(4)}s] sent ${p.sent}  acked ${p.acked}  received ${p.received}  errors ${p.errors}  disconnects ${p.disconnects}  p50 ${ms(p.p50)} ms  p99 ${ms(p.p99)} ms`;
}

/** The summary as a plain object (the `--json` output). */
function summaryOf(load: Omit<LoadOptions, 'onProgress'>, r: LoadResult): Record<string, unknown> {
  const publishS = r.publishMs / 1000;
  return {
    url: load.url,
    channel: load.channel,
    clients: load.clients,
    publishers: load.publishers,
    rate: load.rate,
    size: load.size,
    durationS: load.durationMs / 1000,
    connections: { ok: r.connected, failed: r.connectFailures },
    subscribers: r.subscribers,
    sent: r.sent,
    acknowledged: r.acked,
    resent: r.resent,
    received: r.received,
    expected: r.expected,
    achievedRate: publishS > 0 ? Math.round((r.sent / publishS) * 10) / 10 : 0,
    errors: r.errors,
    disconnects: r.disconnects,
    latencyMs: r.latency.summary(),
    histogram: r.latency.ranges(),
  };
}

function histogramLines(ranges: readonly HistogramRange[]): string[] {
  const top = Math.max(1, ...ranges.map((r) => r.count));
  const total = ranges.reduce((a, r) => a + r.count, 0);
  return ranges.map((r) => {
    const bar = '#'.repeat(Math.round((r.count / top) * 40));
    const range = `${r.fromMs.toFixed(3).padStart(9)} - ${r.toMs.toFixed(3).padStart(9)} ms`;
    return `  ${range} | ${bar.padEnd(40)} | ${String(r.count).padStart(9)} ${((r.count / total) * 100).toFixed(1).padStart(5)} %`;
  });
}

/** The human-readable summary. */
function summaryText(s: Record<string, unknown>): string {
  const lat = s['latencyMs'] as LatencySummary;
  const errors = Object.entries(s['errors'] as Record<string, number>);
  const conns = s['connections'] as { ok: number; failed: number };
  const expected = s['expected'] as number;
  const share = expected === 0 ? '-' : `${(((s['received'] as number) / expected) * 100).toFixed(2)} %`;
  return [
    `bench ${String(s['url'])}: ${String(s['clients'])} clients (${String(s['publishers'])} publishing), ${String(s['rate'])} msg/s for ${String(s['durationS'])} s, ${String(s['size'])}-byte padding, channel ${String(s['channel'])}`,
    `connections: ${conns.ok} ok, ${conns.failed} failed; subscribers at the end: ${String(s['subscribers'])}; disconnects: ${String(s['disconnects'])}`,
    `messages: sent ${String(s['sent'])} (${String(s['achievedRate'])}/s), acknowledged ${String(s['acknowledged'])}, resent ${String(s['resent'])}, received ${String(s['received'])} of ${expected} expected (${share})`,
    `errors: ${errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code} ${n}`).join(', ')}`,
    `latency, publish to delivery (ms): p50 ${ms(lat.p50)}  p90 ${ms(lat.p90)}  p99 ${ms(lat.p99)}  p99.9 ${ms(lat.p999)}  max ${ms(lat.max)}  (mean ${ms(lat.mean)}, ${lat.count} deliveries)`,
    ...histogramLines(s['histogram'] as HistogramRange[]),
  ].join('\n');
}

/**
 * Runs the benchmark.
 * @param argv - command arguments
 * @returns the exit code (see the help text)
 */
export async function run(argv: string[]): Promise<number> {
  const args = parse(argv, process.env);
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof args === 'string') {
    process.stderr.write(`switchboard bench: ${args}\n\n${USAGE}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const onProgress = args.quiet
    ? undefined
    : (p: Progress): void => {
        process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`);
      };
  let result: LoadResult;
  try {
    result = await runLoad({ ...args.load, onProgress });
  } catch (err) {
    if (err instanceof UnreachableError) {
      process.stderr.write(`switchboard bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (tty && onProgress !== undefined) process.stderr.write('\n');
  const summary = summaryOf(args.load, result);
  process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summaryText(summary)}\n`);
  if (result.connected === 0) {
    process.stderr.write(
      `switchboard bench: no client could connect and subscribe (${Object.keys(result.errors).join(', ')})\n`,
    );
    return 1;
  }
  return 0;
}
