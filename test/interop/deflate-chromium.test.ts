// Interop (docs/security-cases.md PD-11): Chromium's WebSocket (which offers permessage-deflate on every connection) with Switchboard's server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type PerMessageDeflateServerOptions, type WebSocket } from '../../src/engine/index.ts';
import { pagePerFile } from '../helpers/chromium.ts';
import { pattern } from '../helpers/python.ts';

/** FNV-1a 32-bit, computed the same way in the chromium.page. */
function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

/** In the page: open a socket, echo-test the given sizes, report extensions and digests. */
const RUN = `async ({ url, sizes, repeat }) => {
  const fnv = (b) => { let h = 0x811c9dc5; for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0; return h; };
  const pattern = (size, binary) => { const b = new Uint8Array(size); for (let i = 0; i < size; i++) b[i] = binary ? i % 251 : 97 + (i % 26); return b; };
  const ws = new WebSocket(url); ws.binaryType = 'arraybuffer';
  const inbox = []; const waiters = [];
  ws.onmessage = (e) => { const w = waiters.shift(); if (w) w(e.data); else inbox.push(e.data); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('websocket error')); });
  const next = () => inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve, reject) => { const t = setTimeout(() => reject(new Error('no message')), 15000); waiters.push((d) => { clearTimeout(t); resolve(d); }); });
  const results = [];
  for (let r = 0; r < repeat; r++) for (const size of sizes) for (const binary of [false, true]) {
    const data = pattern(size, binary);
    ws.send(binary ? data : new TextDecoder().decode(data));
    const got = await next();
    const bytes = typeof got === 'string' ? new TextEncoder().encode(got) : new Uint8Array(got);
    results.push({ size, binary, kind: typeof got === 'string' ? 'text' : 'binary', len: bytes.length, fnv: fnv(bytes) });
  }
  ws.send('__broadcast');
  const b = await next();
  const closed = new Promise((resolve) => { ws.onclose = (e) => resolve({ code: e.code, wasClean: e.wasClean }); });
  ws.close(1000);
  return { extensions: ws.extensions, results, broadcast: typeof b === 'string' ? b.length : -1, closed: await closed };
}`;

const chromium = pagePerFile();

const SIZES = [0, 10, 1023, 1024, 65_536, 4 * 1024 * 1024];
const BROADCAST = JSON.stringify({ event: 'news', body: 'broadcast body '.repeat(800) });

for (const [name, option, expected] of [
  ['defaults', true, /^permessage-deflate(; client_max_window_bits=15)?$/],
  ['server_no_context_takeover', { serverNoContextTakeover: true }, /server_no_context_takeover/],
  ['client_no_context_takeover', { clientNoContextTakeover: true }, /client_no_context_takeover/],
  [
    'window bits 9 and 10',
    { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
    /server_max_window_bits=9; client_max_window_bits=10/,
  ],
  ['threshold 0', { threshold: 0 }, /^permessage-deflate/],
] as const) {
  test(`interop: Chromium -> Switchboard server with permessage-deflate, ${name}: byte-exact echo, broadcast, clean close (PD-11)`, async (t) => {
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      pingIntervalMs: 0,
      perMessageDeflate: option as boolean | PerMessageDeflateServerOptions,
    });
    const { port } = await wss.listen();
    t.after(() => wss.close({ timeoutMs: 200 }));
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws: WebSocket) => {
      sockets.push(ws);
      ws.onmessage = (e) => {
        if (e.data === '__broadcast') wss.broadcast(BROADCAST);
        else ws.send(e.data as string | Buffer);
      };
    });
    const out = (await chromium.page.evaluate(
      `(${RUN})(${JSON.stringify({ url: `ws://127.0.0.1:${port}/`, sizes: SIZES, repeat: 2 })})`,
    )) as {
      extensions: string;
      results: Array<{ size: number; binary: boolean; kind: string; len: number; fnv: number }>;
      broadcast: number;
      closed: { code: number; wasClean: boolean };
    };
    assert.match(out.extensions, expected);
    assert.equal(sockets[0]!.extensions, out.extensions);
    assert.equal(out.results.length, SIZES.length * 4);
    for (const r of out.results) {
      const data = pattern(r.size, r.binary);
      assert.equal(r.kind, r.binary ? 'binary' : 'text');
      assert.equal(r.len, r.size);
      assert.equal(r.fnv, fnv(data), `echo of ${r.size} bytes (binary ${r.binary})`);
    }
    assert.equal(out.broadcast, BROADCAST.length);
    assert.deepEqual(out.closed, { code: 1000, wasClean: true });
  });
}
