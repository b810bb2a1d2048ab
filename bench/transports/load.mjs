// Lean fan-out load client of bench/transports.mjs: N subscribers of one channel on one transport, one publisher on
// WebSocket, all in this process on raw `net` sockets (bench/lib/raw-ws.mjs, ./http-raw.mjs) with minimal parsing.
// Prints one JSON line.
//
// Targets: sb-ws (Switchboard /ws), sb-sse (plain EventSource GET /sse), sb-stream (SSE session /http/stream +
// /http/send), sb-poll (long-polling session /http/poll + /http/send), sio-ws and sio-polling (socket.io's
// engine.io wire: transport=websocket, or transport=polling with no upgrade).
// Phases: setup (connect + subscribe/join all), latency (one message in flight: publish -> all N delivered -> next),
// throughput (`--window` messages in flight). A publication carries its sequence number as `"s":<n>` in a payload
// of exactly `--size` bytes; every subscriber must receive every message once and in order, else the run fails.
import { parseArgs } from 'node:util';
import { latencyPercentiles, openConcurrently, processRssBytes, windowedPhase } from '../lib/load-phases.mjs';
import { maskedTextFrame, openRaw } from '../lib/raw-ws.mjs';
import { eventStreamParser, RawHttp } from './http-raw.mjs';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    clients: { type: 'string', default: '2000' },
    'latency-messages': { type: 'string', default: '20' },
    'throughput-messages': { type: 'string', default: '200' },
    window: { type: 'string', default: '8' },
    'server-pid': { type: 'string' },
    size: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '128' },
    senders: { type: 'string', default: '16' },
    'phase-timeout-s': { type: 'string', default: '120' },
  },
});
const TARGETS = ['sb-ws', 'sb-sse', 'sb-stream', 'sb-poll', 'sio-ws', 'sio-polling'];
const target = args.target;
if (!TARGETS.includes(target)) throw new Error(`--target must be one of ${TARGETS.join(', ')}, got "${target}"`);
const port = Number(args.port);
const N = Number(args.clients);
const LAT_MSGS = Number(args['latency-messages']);
const TPUT_MSGS = Number(args['throughput-messages']);
const WINDOW = Number(args.window);
const SIZE = Number(args.size);
const CONCURRENCY = Number(args.concurrency);
const PHASE_TIMEOUT_MS = Number(args['phase-timeout-s']) * 1000;
for (const [name, v] of Object.entries({ port, clients: N, window: WINDOW, size: SIZE, concurrency: CONCURRENCY }))
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a whole number of 1 or more, got ${v}`);
if (SIZE < 20) throw new Error(`--size must be at least 20 bytes (the sequence number needs room), got ${SIZE}`);
const CHANNEL = 'bench:fanout';
const MSGS = LAT_MSGS + TPUT_MSGS;
const sb = target.startsWith('sb-');

// ---- measurement state, shared by every subscriber ----
const sendTime = new Float64Array(MSGS + 1);
const delivered = new Uint32Array(MSGS + 1);
const lastSeq = new Uint32Array(N);
const latencies = new Float64Array(N * Math.max(LAT_MSGS, 1));
let latencyCount = 0;
let measuring = false;
let deliveriesTotal = 0;
let onComplete = () => {};
let failure = null;

function fail(reason) {
  if (failure !== null) return;
  failure = reason;
  onComplete(-1);
}

/** Subscriber `sub` received message `seq`: counts it, checks it is the next one, times it. */
function deliver(sub, seq) {
  if (!measuring || failure !== null) return;
  if (seq !== lastSeq[sub] + 1) {
    fail(`subscriber ${sub} received message ${seq} after ${lastSeq[sub]} (lost, repeated or out of order)`);
    return;
  }
  lastSeq[sub] = seq;
  deliveriesTotal++;
  if (seq <= LAT_MSGS) latencies[latencyCount++] = performance.now() - sendTime[seq];
  if (++delivered[seq] === N) onComplete(seq);
}

/** Calls `deliver(sub, seq)` for every `"s":<digits>` in `text` before `end` (a publication, or a batch of them). */
function scan(sub, text, end = text.length) {
  let at = text.indexOf('"s":');
  while (at >= 0 && at < end) {
    let seq = 0;
    let i = at + 4;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      seq = seq * 10 + (c - 48);
    }
    deliver(sub, seq);
    at = text.indexOf('"s":', i);
  }
}

// ---- WebSocket (Switchboard's protocol, or engine.io's websocket transport) ----
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const wsRequest = (path, protocol) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`;
const SB_WS = wsRequest('/ws', 'switchboard.v1.json');
const SIO_WS = wsRequest('/socket.io/?EIO=4&transport=websocket', null);
const frame = maskedTextFrame;
const lost = (what) => () => {
  if (measuring) fail(`${what} closed during the run`);
};

/** Opens a WebSocket and runs `onText(text, socket)` per text message until `ready()` is called; resolves then. */
async function wsSession(request, first, onText, what) {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  const socket = await openRaw({
    port,
    request,
    onText: (p, s) => onText(p.toString(), s, ready),
    onClose: lost(what),
  });
  if (first !== null) socket.write(frame(first));
  await done;
  return socket;
}

/** Switchboard /ws: connect, subscribe; then publications. */
function sbWsSubscriber(sub) {
  let live = false;
  return wsSession(
    SB_WS,
    '{"type":"connect","rid":1}',
    (text, socket, ready) => {
      if (live) return scan(sub, text);
      if (text.includes('"type":"connected"'))
        socket.write(frame(`{"type":"subscribe","rid":2,"channel":"${CHANNEL}"}`));
      else if (text.includes('"type":"subscribed"')) {
        live = true;
        ready();
      }
    },
    'a WebSocket subscriber',
  );
}

/** socket.io over engine.io's websocket transport: open, connect the namespace (40), join with an ack (430). */
function sioWsSubscriber(sub) {
  let live = false;
  return wsSession(
    SIO_WS,
    null,
    (text, socket, ready) => {
      if (live) {
        if (text === '2') socket.write(frame('3'));
        else scan(sub, text);
      } else if (text.startsWith('0{')) socket.write(frame('40'));
      else if (text.startsWith('40')) socket.write(frame('420["join"]'));
      else if (text.startsWith('430')) {
        live = true;
        ready();
      }
    },
    'a socket.io WebSocket subscriber',
  );
}

// ---- HTTP: subscriber connections hold the streams and polls; a small pool of sender connections POSTs ----
const conns = [];
function connection(what, onClose = null) {
  const c = new RawHttp(port, (err) => {
    if (onClose !== null) onClose();
    else if (measuring) fail(`${what} closed during the run: ${err.message}`);
  });
  conns.push(c);
  return c;
}
const senders = Array.from({ length: Number(args.senders) }, () => ({ conn: null, tail: Promise.resolve() }));
let nextSender = 0;
/** One request on a pooled sender connection (requests on one connection queue behind each other). */
function send(method, path, headers, body) {
  const s = senders[nextSender++ % senders.length];
  const p = s.tail.then(() => {
    // An idle sender connection may be closed by the server's keep-alive timeout (5 s on both servers): not a
    // failure, the next request opens a new one.
    if (s.conn === null || s.conn.closed) {
      const conn = connection('a sender connection', () => {
        if (s.conn === conn) s.conn = null;
      });
      s.conn = conn;
    }
    return s.conn.fetch(method, path, headers, body);
  });
  s.tail = p.catch(() => {});
  return p;
}
const JSON_BODY = 'Content-Type: application/json\r\n';

async function expectStatus(p, status, what) {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/**
 * Opens an event stream; `onEvent(name, data, ready)` until ready, then `onLive(text, end)` with the text of each run
 * of complete events (up to `end`) as it arrives: the live path scans the raw text for publications instead of
 * splitting it into events and lines, to keep the client cheap. A refusal rejects with the status and body.
 */
function eventStream(path, onEvent, onLive, what) {
  return new Promise((resolve, reject) => {
    const conn = connection(what);
    let status = 0;
    let live = false;
    let tail = '';
    const parse = eventStreamParser((name, data) =>
      onEvent(name, data, () => {
        live = true;
        resolve(conn);
      }),
    );
    const refused = [];
    conn.request('GET', path, 'Accept: text/event-stream\r\n', null, {
      onHead: (s) => {
        status = s;
      },
      onError: (err) => reject(new Error(`GET ${path}: ${err.message}`)),
      onData: (chunk) => {
        if (status !== 200) refused.push(chunk);
        else if (!live) parse(chunk);
        else {
          const text = tail === '' ? chunk.toString() : tail + chunk.toString();
          const end = text.lastIndexOf('\n\n');
          if (end < 0) tail = text;
          else {
            tail = end + 2 === text.length ? '' : text.slice(end + 2);
            onLive(text, end);
          }
        }
      },
      onEnd: () => {
        if (status !== 200)
          reject(new Error(`GET ${path}: ${status} ${Buffer.concat(refused).toString().slice(0, 300)}`));
        else if (measuring) fail(`${what} ended during the run`);
      },
    });
  });
}

/** The live text of an event stream: publications are scanned; a named event other than a comment fails the run. */
function liveEvents(sub, text, end, what) {
  const named = text.indexOf('event:');
  if (named >= 0 && named < end) {
    fail(`${what} sent ${text.slice(named, Math.min(end, named + 200))}`);
    return;
  }
  scan(sub, text, end);
}

/** Plain EventSource: GET /sse?channel=…, ready at the `subscribed` event; publications are unnamed events. */
function sbSseSubscriber(sub) {
  let setupError = null;
  const stream = eventStream(
    `/sse?channel=${encodeURIComponent(CHANNEL)}`,
    (name, data, ready) => {
      if (name === 'subscribed') ready();
      else if (name === 'error') setupError = new Error(`GET /sse sent an error: ${data}`);
    },
    (text, end) => liveEvents(sub, text, end, 'an /sse stream'),
    'an /sse stream',
  );
  return stream.then((c) => {
    if (setupError !== null) throw setupError;
    return c;
  });
}

/** SSE session: GET /http/stream (event `open` names the session), connect and subscribe by POST /http/send. */
function sbStreamSubscriber(sub) {
  let session = '';
  const post = (msg) =>
    expectStatus(
      send('POST', `/http/send?session=${encodeURIComponent(session)}`, JSON_BODY, `[${msg}]`),
      204,
      'POST /http/send',
    );
  let setupError = null;
  const stream = eventStream(
    '/http/stream',
    (name, data, ready) => {
      if (name === 'open') {
        session = JSON.parse(data).session;
        post('{"type":"connect","rid":1}').catch((e) => (setupError = e));
      } else if (data.includes('"type":"connected"'))
        post(`{"type":"subscribe","rid":2,"channel":"${CHANNEL}"}`).catch((e) => (setupError = e));
      else if (data.includes('"type":"subscribed"')) ready();
      else if (name === 'close') setupError = new Error(`/http/stream closed during setup: ${data}`);
    },
    (text, end) => liveEvents(sub, text, end, 'an /http/stream session'),
    'an /http/stream stream',
  );
  return stream.then((c) => {
    if (setupError !== null) throw setupError;
    return c;
  });
}

/**
 * Runs a long-poll loop on `conn`: GET `path()`, hand the body to `onBody(text)`, repeat at once while the connection
 * lives. Resolves with nothing: readiness is `onBody`'s business.
 */
function pollLoop(conn, path, onBody, what) {
  const again = () => {
    if (conn.closed || failure !== null) return;
    conn.fetch('GET', path(), '', null).then(
      ({ status, body }) => {
        if (status !== 200) {
          const err = `${what}: GET answered ${status} ${body.slice(0, 200)}`;
          if (measuring) fail(err);
          else setupFailure ??= new Error(err);
          return;
        }
        if (measuring) pollAnswers++;
        onBody(body);
        again();
      },
      (err) => {
        // The connection's close already failed the run (or the setup) through its onClose.
        setupFailure ??= measuring ? null : new Error(`${what}: ${err.message}`);
      },
    );
  };
  again();
}
let setupFailure = null;
/** Poll answers received since the publisher started (both phases). */
let pollAnswers = 0;

/** Long-polling session: POST /http/poll opens it; connect, subscribe by POST /http/send; GET /http/poll?ack=. */
async function sbPollSubscriber(sub) {
  const opened = await expectStatus(send('POST', '/http/poll', JSON_BODY, '{}'), 200, 'POST /http/poll');
  const session = encodeURIComponent(JSON.parse(opened.body).session);
  const post = (msg) =>
    expectStatus(send('POST', `/http/send?session=${session}`, JSON_BODY, `[${msg}]`), 204, 'POST /http/send');
  const conn = connection('a /http/poll connection');
  let ack = 0;
  let live = false;
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  pollLoop(
    conn,
    () => `/http/poll?session=${session}&ack=${ack}`,
    (body) => {
      // `{"seq":<n>,"messages":[…]}`: the sequence number leads; a `close` member ends the session.
      const at = body.indexOf('"seq":');
      let seq = 0;
      for (let i = at + 6; i < body.length; i++) {
        const c = body.charCodeAt(i);
        if (c < 48 || c > 57) break;
        seq = seq * 10 + (c - 48);
      }
      ack = seq;
      if (live) scan(sub, body);
      else if (body.includes('"type":"connected"'))
        post(`{"type":"subscribe","rid":2,"channel":"${CHANNEL}"}`).catch((e) => (setupFailure ??= e));
      if (!live && body.includes('"type":"subscribed"')) {
        live = true;
        ready();
      }
      if (body.includes('"close":{')) {
        const err = `a /http/poll session was closed: ${body.slice(body.indexOf('"close":{'), body.length).slice(0, 200)}`;
        if (measuring) fail(err);
        else setupFailure ??= new Error(err);
      }
    },
    '/http/poll',
  );
  await post('{"type":"connect","rid":1}');
  await done;
  return conn;
}

/** socket.io over engine.io's polling transport (EIO=4: packets joined by \x1e), never upgraded. */
async function sioPollingSubscriber(sub) {
  const EIO = '/socket.io/?EIO=4&transport=polling';
  const conn = connection('a socket.io polling connection');
  const open = await conn.fetch('GET', EIO, '', null);
  if (open.status !== 200 || !open.body.startsWith('0{'))
    throw new Error(`socket.io polling handshake: ${open.status} ${open.body.slice(0, 200)}`);
  const sid = JSON.parse(open.body.slice(1)).sid;
  const path = `${EIO}&sid=${encodeURIComponent(sid)}`;
  const TEXT = 'Content-Type: text/plain;charset=UTF-8\r\n';
  const post = (packet) => expectStatus(send('POST', path, TEXT, packet), 200, 'socket.io POST');
  let live = false;
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  pollLoop(
    conn,
    () => path,
    (body) => {
      if (live) {
        scan(sub, body);
        if (body === '2' || body.startsWith('2\x1e') || body.includes('\x1e2\x1e') || body.endsWith('\x1e2'))
          post('3').catch((e) => fail(e.message));
        return;
      }
      for (const packet of body.split('\x1e')) {
        if (packet.startsWith('40')) post('420["join"]').catch((e) => (setupFailure ??= e));
        else if (packet.startsWith('430')) {
          live = true;
          ready();
        }
      }
    },
    'socket.io polling',
  );
  await post('40');
  await done;
  return conn;
}

const SUBSCRIBERS = {
  'sb-ws': sbWsSubscriber,
  'sb-sse': sbSseSubscriber,
  'sb-stream': sbStreamSubscriber,
  'sb-poll': sbPollSubscriber,
  'sio-ws': sioWsSubscriber,
  'sio-polling': sioPollingSubscriber,
};

/** The publisher: a WebSocket session on the same server (Switchboard `publish`, socket.io `pub`). */
async function publisher() {
  const socket = sb
    ? await wsSession(
        SB_WS,
        '{"type":"connect","rid":1}',
        (text, _s, ready) => {
          if (text.includes('"type":"connected"')) ready();
        },
        'the publisher',
      )
    : await wsSession(
        SIO_WS,
        null,
        (text, s, ready) => {
          if (text.startsWith('0{')) s.write(frame('40'));
          else if (text.startsWith('40')) ready();
        },
        'the publisher',
      );
  return (seq) => {
    const head = `{"s":${seq},"p":"`;
    const data = `${head}${'x'.repeat(SIZE - head.length - 2)}"}`;
    sendTime[seq] = performance.now();
    socket.write(
      frame(sb ? `{"type":"publish","channel":"${CHANNEL}","id":"m${seq}","data":${data}}` : `42["pub",${data}]`),
    );
  };
}

// ---- server figures from /proc ----
const SERVER_PID = args['server-pid'];
const serverRssBytes = () => processRssBytes(SERVER_PID);

// ---- run ----
function report(extra) {
  process.stdout.write(`${JSON.stringify({ target, clients: N, size: SIZE, ...extra })}\n`);
  for (const c of conns) c.destroy();
  for (const s of wsSockets) s.destroy();
  process.exit(0);
}
const wsSockets = [];

const rss0 = serverRssBytes();
const t0 = performance.now();
const setup = openConcurrently(
  N,
  CONCURRENCY,
  async (sub) => {
    const s = await SUBSCRIBERS[target](sub);
    if (!(s instanceof RawHttp)) wsSockets.push(s);
  },
  () => setupFailure !== null,
);
try {
  const setupTimer = setTimeout(() => {
    setupFailure ??= new Error(`setup did not finish in ${PHASE_TIMEOUT_MS} ms (${setup.started} of ${N} started)`);
    report({ ok: false, failure: setupFailure.message });
  }, PHASE_TIMEOUT_MS);
  await setup.done;
  clearTimeout(setupTimer);
  if (setupFailure !== null) throw setupFailure;
} catch (err) {
  // A 404 from the endpoint itself: this tree does not serve that transport (yet), which is not a failed run.
  report({ ok: false, unavailable: / 404 /.test(err.message), failure: `setup: ${err.message}` });
}
const setupMs = performance.now() - t0;
const rssSubscribed = serverRssBytes();
const publish = await publisher();
measuring = true;

/** Publishes messages `from..to` keeping `window` in flight; resolves when all are delivered to all N (or failed). */
function phase(from, to, window) {
  return windowedPhase({
    from,
    to,
    window,
    publish,
    serverPid: SERVER_PID,
    timeoutMs: PHASE_TIMEOUT_MS,
    timedOut: fail,
    listen: (handler) => {
      onComplete = handler;
    },
  });
}

const latency = await phase(1, LAT_MSGS, 1);
const latencyDeliveries = latencyCount;
const before = deliveriesTotal;
const answersBefore = pollAnswers;
const throughput = failure === null ? await phase(LAT_MSGS + 1, MSGS, WINDOW) : null;
const rssEnd = serverRssBytes();
if (failure !== null) {
  const short = [];
  for (let s = 1; s <= MSGS && short.length < 5; s++) if (delivered[s] !== N) short.push(`#${s}: ${delivered[s]}/${N}`);
  report({ ok: false, failure, deliveries: deliveriesTotal, incomplete: short });
}
// Every subscriber got every message, in order (deliver() checked each step; this checks the end).
for (let sub = 0; sub < N; sub++)
  if (lastSeq[sub] !== MSGS)
    report({ ok: false, failure: `subscriber ${sub} ended at message ${lastSeq[sub]} of ${MSGS}` });
const lat = latencyPercentiles(latencies, latencyDeliveries);
const tputDeliveries = deliveriesTotal - before;
report({
  ok: true,
  setupMs: Math.round(setupMs),
  memory: {
    rssBeforeBytes: rss0,
    rssSubscribedBytes: rssSubscribed,
    rssEndBytes: rssEnd,
    rssPerSubscriberBytes: (rssSubscribed - rss0) / N,
  },
  latency: {
    messages: LAT_MSGS,
    deliveries: latencyDeliveries,
    ...lat,
    ms: latency.ms,
  },
  throughput: {
    messages: TPUT_MSGS,
    window: WINDOW,
    deliveries: tputDeliveries,
    ms: throughput.ms,
    deliveriesPerSec: (tputDeliveries / throughput.ms) * 1000,
    clientCpuMs: throughput.clientCpuMs,
    serverCpuMs: throughput.serverCpuMs,
    othersCpuMs: throughput.othersCpuMs,
    // Polling rows: how many publications one poll answer carried on average over the phase.
    deliveriesPerPollAnswer: pollAnswers === answersBefore ? null : tputDeliveries / (pollAnswers - answersBefore),
    serverCpuUsPerDelivery: (throughput.serverCpuMs * 1000) / tputDeliveries,
  },
});
