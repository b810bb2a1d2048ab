// Documents benchmark load generator: editors (one Y.Doc and one WebSocket each) on documents of one server.
// Commands are JSON lines on stdin, answers JSON lines on stdout:
//   {"cmd":"open","docs":D,"editors":E}        open D documents with E editors each, all synced  -> {"ok":"open",...}
//   {"cmd":"run","rate":R,"warmupS":W,"windowS":T}  every editor sends R updates/s, open loop: W s of warm-up, a
//        drain, then `{"mark":"window-start"}`, T s measured, a drain, `{"mark":"window-end"}` and the figures
//   {"cmd":"close"}                            close every editor -> {"ok":"close"}
//   {"cmd":"bare","connections":N}             open N connections that hold no document (Switchboard: connected;
//        Hocuspocus: a WebSocket that has sent nothing) -> {"ok":"bare"}; `close` closes them
// An editor never applies what it receives (that would measure the load generator): it inserts 8 characters at the
// end of its own text, so the first struct of each update it sends is (its client id, 8 × its edit number) and a
// receiver finds the send time from the update's first struct alone. With `--replace-every N`, every Nth edit first
// deletes the last 2 characters (one update: a deletion and the insert; deleting takes no clock, so the rule holds).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { firstStruct, wire } from './protocols.mjs';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    port: { type: 'string' },
    prefix: { type: 'string', default: 'bench' },
    'replace-every': { type: 'string', default: '0' },
    'doc-rid': { type: 'string', default: 'quiet' },
  },
});
const REPLACE_EVERY = Number(args['replace-every']);
const KIND = args.server;
const PORT = Number(args.port);
const EDIT = 'abcdefgh';
const CONNECT_CONCURRENCY = 64;

/** @type {Map<number, Editor>} editors by Yjs client id */
const byClient = new Map();
/** @type {Editor[]} */
let editors = [];
let measuring = false;
/** @type {number[]} */
let latencies = [];
let delivered = 0;
let closedDuringRun = 0;
let echoes = 0;

/** The wire protocol of a server row: every Switchboard row but `-yjs` and `-msgpack` speaks the JSON protocol. */
function wireOf(kind) {
  // The floor relays (relay-floor.ts) speak y-websocket's protocol.
  if (kind.startsWith('floor')) return 'yws';
  if (kind === 'switchboard-yjs' || kind === 'switchboard-msgpack' || !kind.startsWith('switchboard')) return kind;
  return 'switchboard';
}

class Editor {
  constructor(doc, index) {
    this.doc = doc;
    this.index = index;
    this.ydoc = new Y.Doc();
    this.text = this.ydoc.getText('t');
    this.sent = 0;
    this.sentAt = new Float64Array(64);
    this.measuredFrom = Number.POSITIVE_INFINITY;
    this.pending = null;
    this.ydoc.on('update', (u) => {
      this.pending = u;
    });
    byClient.set(this.ydoc.clientID, this);
  }

  open() {
    const w = wire(wireOf(KIND), PORT, this.doc, { rid: args['doc-rid'] });
    this.wire = w;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(w.url, w.protocols ?? [], { perMessageDeflate: false });
      this.ws = ws;
      const send = (m) => ws.send(m);
      let synced = false;
      const events = {
        subscribed: () => send(w.sync1(Y.encodeStateVector(this.ydoc))),
        step1: (sv) => send(w.sync2(Y.encodeStateAsUpdate(this.ydoc, sv))),
        step2: () => {
          if (!synced) {
            synced = true;
            resolve();
          }
        },
        update: (u) => onRemoteUpdate(u, this),
      };
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => {
        for (const m of w.opening()) send(m);
        if (!KIND.startsWith('switchboard') || KIND === 'switchboard-yjs')
          send(w.sync1(Y.encodeStateVector(this.ydoc)));
      });
      ws.on('message', (data) => w.receive(data, events, send));
      ws.on('error', (err) => {
        if (!synced) reject(err);
      });
      ws.on('close', () => {
        if (measuring) closedDuringRun++;
        if (!synced) reject(new Error(`closed before sync (${this.doc})`));
      });
    });
  }

  edit() {
    if (REPLACE_EVERY > 0 && this.sent % REPLACE_EVERY === REPLACE_EVERY - 1 && this.text.length >= 2)
      this.ydoc.transact(() => {
        this.text.delete(this.text.length - 2, 2);
        this.text.insert(this.text.length, EDIT);
      });
    else this.text.insert(this.text.length, EDIT);
    const u = this.pending;
    this.pending = null;
    if (this.sent >= this.sentAt.length) {
      const next = new Float64Array(this.sentAt.length * 2);
      next.set(this.sentAt);
      this.sentAt = next;
    }
    this.sentAt[this.sent++] = performance.now();
    this.ws.send(this.wire.update(u));
  }
}

function onRemoteUpdate(update, receiver) {
  if (!measuring) return;
  const first = firstStruct(update);
  if (first === null) return;
  const editor = byClient.get(first[0]);
  if (editor === undefined) return;
  if (editor === receiver) {
    // y-websocket's server sends every update back to its sender too: not a delivery to a remote editor.
    echoes++;
    return;
  }
  const seq = first[1] / EDIT.length;
  if (seq < editor.measuredFrom || seq >= editor.sent) return;
  delivered++;
  latencies.push(performance.now() - editor.sentAt[seq]);
}

async function openAll(docs, perDoc) {
  editors = [];
  for (let d = 0; d < docs; d++) for (let e = 0; e < perDoc; e++) editors.push(new Editor(`${args.prefix}-${d}`, e));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, editors.length) }, async () => {
      while (next < editors.length) await editors[next++].open();
    }),
  );
  return performance.now() - started;
}

/** Sends at `rate` per editor per second for `seconds`, open loop (each editor on its own phase), 10 ms ticks. */
async function send(rate, seconds) {
  const start = performance.now();
  const end = start + seconds * 1000;
  const phase = editors.map((_, i) => (i / editors.length) * (1000 / rate));
  const done = new Array(editors.length).fill(0);
  let sent = 0;
  let late = 0;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    for (let i = 0; i < editors.length; i++) {
      const due = Math.floor(((now - start - phase[i]) * rate) / 1000) + 1;
      while (done[i] < due) {
        if (due - done[i] > 1) late++;
        editors[i].edit();
        done[i]++;
        sent++;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { sent, late };
}

async function drain(expected, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (delivered < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function out(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

const perDocEditors = () => {
  const counts = new Map();
  for (const e of editors) counts.set(e.doc, (counts.get(e.doc) ?? 0) + 1);
  return counts;
};

/** @type {WebSocket[]} connections without a document (the `bare` command) */
let bare = [];

/** Opens `count` connections holding no document: the per-connection memory a server spends without documents. */
async function openBare(count) {
  const w = wire(wireOf(KIND), PORT, 'bare');
  const sockets = [];
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(w.url, w.protocols ?? [], { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('error', reject);
      ws.on('open', () => {
        if (!KIND.startsWith('switchboard')) return resolve();
        ws.send(JSON.stringify({ type: 'connect', rid: 1 }));
        ws.once('message', () => resolve());
      });
    });
  await Promise.all(
    Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, async () => {
      while (next++ < count) await one();
    }),
  );
  return sockets;
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'open') {
    const ms = await openAll(cmd.docs, cmd.editors);
    out({ ok: 'open', editors: editors.length, ms });
  } else if (cmd.cmd === 'run') {
    const warm = await send(cmd.rate, cmd.warmupS);
    await new Promise((r) => setTimeout(r, 1000));
    const counts = perDocEditors();
    for (const e of editors) e.measuredFrom = e.sent;
    latencies = [];
    delivered = 0;
    echoes = 0;
    closedDuringRun = 0;
    measuring = true;
    const cpu0 = process.cpuUsage();
    out({ mark: 'window-start' });
    const t0 = performance.now();
    const window = await send(cmd.rate, cmd.windowS);
    const sendMs = performance.now() - t0;
    let expected = 0;
    for (const e of editors) expected += (e.sent - e.measuredFrom) * ((counts.get(e.doc) ?? 1) - 1);
    await drain(expected, 10_000);
    measuring = false;
    const cpu = process.cpuUsage(cpu0);
    out({ mark: 'window-end' });
    const sorted = Float64Array.from(latencies).sort();
    out({
      ok: 'run',
      warmupSent: warm.sent,
      sent: window.sent,
      lateTicks: window.late,
      sendMs,
      expected,
      delivered,
      lost: expected - delivered,
      echoes,
      closedDuringRun,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
      loadCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100,
    });
  } else if (cmd.cmd === 'bare') {
    bare = await openBare(cmd.connections);
    out({ ok: 'bare', connections: bare.length });
  } else if (cmd.cmd === 'close') {
    const sockets = [...editors.map((e) => e.ws), ...bare];
    for (const ws of sockets) ws.close();
    await new Promise((r) => setTimeout(r, 500));
    for (const ws of sockets) ws.terminate();
    editors = [];
    bare = [];
    byClient.clear();
    out({ ok: 'close' });
  } else if (cmd.cmd === 'exit') {
    process.exit(0);
  }
}
