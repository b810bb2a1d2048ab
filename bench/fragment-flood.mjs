// What a flood of fragments costs an engine server, next to a flood of small messages.
//
//   node bench/fragment-flood.mjs [--root DIR] [--seconds 10] [--modes cont1,cont0,small]
//
// --root is a built tree (its dist/engine/index.js is served; default: this repository, run
// `npm run build` first), so the same script measures another checkout. For each mode a fresh
// child process runs an echo WebSocketServer with the default options; one raw TCP client floods it
// over loopback for the given time, as fast as the socket takes bytes:
//   cont1  a text message started, then 1-byte continuation frames (7 bytes each, masked)
//   cont0  a text message started, then empty continuation frames (6 bytes each)
//   small  whole 1-byte text messages (7 bytes each), echoed by the server (the client discards)
// When the server closes the connection (a limit was hit), the client reconnects and goes on.
// Reported per mode: frames sent and frames the server read (bytesRead of its sockets / frame
// size), server CPU time (process.cpuUsage of the child, during the flood) and per million frames read, peak RSS / heapUsed / arrayBuffers sampled every 50 ms in the child, and
// the close codes the server sent.
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const root = path.resolve(option('root', path.join(path.dirname(fileURLToPath(import.meta.url)), '..')));
const seconds = Number(option('seconds', '10'));
const modes = option('modes', 'cont1,cont0,small').split(',');
if (!Number.isFinite(seconds) || seconds <= 0) throw new RangeError(`Cannot use --seconds "${option('seconds')}"`);
for (const m of modes)
  if (!['cont1', 'cont0', 'small'].includes(m))
    throw new RangeError(`Cannot use mode "${m}": expected cont1, cont0 or small`);

const engineUrl = pathToFileURL(path.join(root, 'dist/engine/index.js')).href;

// The child: an echo server with default options; prints `listening PORT`, answers `report` on stdin
// with its CPU time since `start` and the memory peaks sampled since then.
const childSource = `
import { WebSocketServer } from ${JSON.stringify(engineUrl)};
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
let bytesRead = 0;
const sockets = new Set();
wss.on('connection', (ws, req) => {
  ws.onmessage = (e) => ws.send(e.data);
  ws.onerror = () => {};
  const socket = req.socket;
  sockets.add(socket);
  socket.once('close', () => { bytesRead += socket.bytesRead; sockets.delete(socket); });
});
const readSoFar = () => { let n = bytesRead; for (const s of sockets) n += s.bytesRead; return n; };
wss.on('error', () => {});
let cpu0 = process.cpuUsage();
let peak = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) peak.rss = m.rss;
  if (m.heapUsed > peak.heapUsed) peak.heapUsed = m.heapUsed;
  if (m.arrayBuffers > peak.arrayBuffers) peak.arrayBuffers = m.arrayBuffers;
};
setInterval(sample, 50).unref();
wss.on('listening', () => console.log('listening ' + wss.address().port));
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  input += d;
  let nl;
  while ((nl = input.indexOf('\\n')) >= 0) {
    const line = input.slice(0, nl);
    input = input.slice(nl + 1);
    if (line === 'start') { globalThis.gc?.(); sample(); peak = process.memoryUsage(); cpu0 = process.cpuUsage(); bytesRead = -readSoFar(); console.log('started'); }
    if (line === 'report') { sample(); const cpu = process.cpuUsage(cpu0); console.log('report ' + JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, bytesRead: readSoFar(), peak })); }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

function startChild() {
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', childSource], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const waiters = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      const w = waiters.findIndex((x) => line.startsWith(x.prefix));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(line.slice(line.indexOf(' ') + 1));
    }
  });
  const next = (prefix) => new Promise((resolve) => waiters.push({ prefix, resolve }));
  return {
    child,
    next,
    async command(line, prefix) {
      const p = next(prefix);
      child.stdin.write(`${line}\n`);
      return p;
    },
  };
}

/** One masked client frame. */
function maskedFrame(b0, payload) {
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from([b0, 0x80 | body.length]), key, body]);
}

/** Opens a WebSocket over raw TCP; resolves with the socket once the 101 arrived. */
function open(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = Buffer.alloc(0);
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, end).toString().includes(accept)) reject(new Error('handshake failed'));
      const rest = head.subarray(end + 4);
      resolve({ socket, rest });
    };
    socket.on('data', onData);
  });
}

async function flood(port, mode, ms) {
  const frameSize = mode === 'cont0' ? 6 : 7;
  const perBatch = Math.floor(65536 / frameSize);
  const unit =
    mode === 'cont1' ? maskedFrame(0x00, [0x62]) : mode === 'cont0' ? maskedFrame(0x00, []) : maskedFrame(0x81, [0x61]);
  const batch = Buffer.concat(Array.from({ length: perBatch }, () => unit));
  const deadline = Date.now() + ms;
  let frames = 0;
  const closes = {};
  while (Date.now() < deadline) {
    const { socket, rest } = await open(port);
    let received = rest;
    let closed = false;
    socket.on('data', (d) => {
      if (mode !== 'small' && received.length < 16) received = Buffer.concat([received, d]);
    });
    socket.on('error', () => {});
    const gone = new Promise((r) =>
      socket.once('close', () => {
        closed = true;
        r();
      }),
    );
    if (mode !== 'small') socket.write(maskedFrame(0x01, [0x61]));
    while (!closed && Date.now() < deadline) {
      const ok = socket.write(batch);
      frames += perBatch;
      if (!ok) await Promise.race([new Promise((r) => socket.once('drain', r)), gone]);
    }
    if (closed) {
      const code = received.length >= 4 && (received[0] & 0x0f) === 8 ? received.readUInt16BE(2) : 'tcp';
      closes[code] = (closes[code] ?? 0) + 1;
    } else {
      socket.destroy();
      await gone;
    }
  }
  return { frames, closes };
}

const MiB = 1024 * 1024;
console.log(`fragment flood: ${root} (${seconds} s per mode, node ${process.version})`);
for (const mode of modes) {
  const server = startChild();
  const port = Number(await server.next('listening'));
  await server.command('start', 'started');
  const { frames, closes } = await flood(port, mode, seconds * 1000);
  const report = JSON.parse(await server.command('report', 'report'));
  server.child.stdin.end();
  await new Promise((r) => server.child.once('exit', r));
  // Frames the server read (its sockets' bytesRead; handshakes are ~200 bytes each, left in).
  const read = Math.round(report.bytesRead / (mode === 'cont0' ? 6 : 7));
  const perMillion = read > 0 ? (report.cpuMs / read) * 1e6 : 0;
  console.log(
    `${mode.padEnd(5)}  sent ${(frames / 1e6).toFixed(2).padStart(7)} M  read ${(read / 1e6).toFixed(2).padStart(6)} M frames  cpu ${(report.cpuMs / 1000).toFixed(2).padStart(6)} s` +
      `  (${perMillion.toFixed(0).padStart(5)} ms per M frames)  peak rss ${(report.peak.rss / MiB).toFixed(1).padStart(6)} MiB` +
      `  heap ${(report.peak.heapUsed / MiB).toFixed(1).padStart(6)} MiB  arrayBuffers ${(report.peak.arrayBuffers / MiB).toFixed(1).padStart(6)} MiB` +
      `  closes ${JSON.stringify(closes)}`,
  );
}
