// Interop: Switchboard's server with Chromium's `WebSocket` (headless Debian chromium via playwright-core).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startEcho, type EchoServer } from '../helpers/echo-server.ts';
import { INTEROP_SIZES } from '../helpers/inbox.ts';
import { pattern } from '../helpers/python.ts';
import { pagePerFile } from '../helpers/chromium.ts';

/** FNV-1a 32-bit, computed the same way in the page (large payloads are compared by length + hash). */
function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

/** In-page harness: sockets by id, an inbox per socket, payload patterns identical to test/helpers/python.ts. */
const HARNESS = `(() => {
  const fnv = (b) => { let h = 0x811c9dc5; for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193) >>> 0; return h; };
  const pattern = (size, binary) => { const b = new Uint8Array(size); for (let i = 0; i < size; i++) b[i] = binary ? i % 251 : 97 + (i % 26); return b; };
  const socks = new Map(); let seq = 0;
  window.__sb = {
    open(url) { return new Promise((resolve, reject) => {
      const ws = new WebSocket(url); ws.binaryType = 'arraybuffer';
      const s = { ws, inbox: [], waiters: [], closed: null, closedWaiters: [] };
      ws.onmessage = (e) => {
        const binary = typeof e.data !== 'string';
        const bytes = binary ? new Uint8Array(e.data) : new TextEncoder().encode(e.data);
        const m = { kind: binary ? 'binary' : 'text', len: bytes.length, fnv: fnv(bytes), text: binary || bytes.length > 1000 ? null : e.data };
        const w = s.waiters.shift(); if (w) w(m); else s.inbox.push(m);
      };
      ws.onclose = (e) => { s.closed = { code: e.code, reason: e.reason, wasClean: e.wasClean }; s.closedWaiters.forEach((f) => f(s.closed)); };
      ws.onopen = () => { const id = ++seq; socks.set(id, s); resolve(id); };
      ws.onerror = () => reject(new Error('websocket error'));
    }); },
    send(id, spec) {
      const ws = socks.get(id).ws;
      if (spec.text !== undefined) ws.send(spec.text);
      else if (spec.bytes !== undefined) ws.send(new Uint8Array(spec.bytes));
      else if (spec.binary) ws.send(pattern(spec.size, true));
      else ws.send(new TextDecoder().decode(pattern(spec.size, false)));
    },
    next(id, ms) { const s = socks.get(id); const m = s.inbox.shift(); if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => { const t = setTimeout(() => reject(new Error('no message')), ms); s.waiters.push((x) => { clearTimeout(t); resolve(x); }); }); },
    close(id, code, reason) { socks.get(id).ws.close(code, reason); },
    closed(id, ms) { const s = socks.get(id); if (s.closed) return Promise.resolve(s.closed);
      return new Promise((resolve, reject) => { const t = setTimeout(() => reject(new Error('no close')), ms); s.closedWaiters.push((x) => { clearTimeout(t); resolve(x); }); }); },
  };
})()`;

interface PageMsg {
  kind: string;
  len: number;
  fnv: number;
  text: string | null;
}

let server: EchoServer;

before(async () => {
  server = await startEcho('switchboard');
});
const chromium = pagePerFile((page) => page.evaluate(HARNESS));
after(async () => {
  await server?.stop();
});

const openSock = (url: string) =>
  chromium.page.evaluate(
    (u) => (globalThis as unknown as { __sb: { open(u: string): Promise<number> } }).__sb.open(u),
    url,
  );
const send = (id: number, spec: Record<string, unknown>) =>
  chromium.page.evaluate(
    ([i, s]) => (globalThis as unknown as { __sb: { send(i: number, s: unknown): void } }).__sb.send(i as number, s),
    [id, spec] as const,
  );
const next = (id: number) =>
  chromium.page.evaluate(
    (i) => (globalThis as unknown as { __sb: { next(i: number, ms: number): Promise<PageMsg> } }).__sb.next(i, 15_000),
    id,
  );
const closeSock = (id: number, code: number, reason: string) =>
  chromium.page.evaluate(
    ([i, c, r]) =>
      (globalThis as unknown as { __sb: { close(i: number, c: number, r: string): void } }).__sb.close(
        i as number,
        c as number,
        r as string,
      ),
    [id, code, reason] as const,
  );
const closed = (id: number) =>
  chromium.page.evaluate(
    (i) =>
      (
        globalThis as unknown as {
          __sb: { closed(i: number, ms: number): Promise<{ code: number; reason: string; wasClean: boolean }> };
        }
      ).__sb.closed(i, 10_000),
    id,
  );

test('interop: Chromium WebSocket -> Switchboard server', async (t) => {
  const id = await openSock(server.url);
  const expectEcho = async (expected: Buffer, binary: boolean) => {
    const m = await next(id);
    assert.equal(m.kind, binary ? 'binary' : 'text');
    assert.equal(m.len, expected.length);
    assert.equal(m.fnv, fnv(expected));
  };
  await t.test('text', async () => {
    await send(id, { text: 'hello κόσμε 😀' });
    await expectEcho(Buffer.from('hello κόσμε 😀'), false);
  });
  await t.test('binary', async () => {
    await send(id, { bytes: [0, 1, 2, 255] });
    await expectEcho(Buffer.from([0, 1, 2, 255]), true);
  });
  await t.test('empty text', async () => {
    await send(id, { text: '' });
    await expectEcho(Buffer.alloc(0), false);
  });
  await t.test('empty binary', async () => {
    await send(id, { bytes: [] });
    await expectEcho(Buffer.alloc(0), true);
  });
  for (const size of INTEROP_SIZES) {
    await t.test(`binary ${size} bytes`, async () => {
      await send(id, { size, binary: true });
      await expectEcho(pattern(size, true), true);
    });
    await t.test(`text ${size} bytes`, async () => {
      await send(id, { size, binary: false });
      await expectEcho(pattern(size, false), false);
    });
  }
  await t.test('server ping -> browser pong (ping() resolves)', async () => {
    await send(id, { text: '__cmd:ping:srv' });
    assert.equal((await next(id)).text, '__pong:srv');
  });
  await t.test('close from the browser: code and reason reach the server, clean close', async () => {
    const c = await openSock(server.url);
    const beforeCount = server.closes.length;
    await closeSock(c, 4000, 'client reason κ');
    const r = await closed(c);
    assert.deepEqual({ code: r.code, wasClean: r.wasClean }, { code: 4000, wasClean: true });
    const seen = await server.waitCloses(beforeCount + 1);
    assert.deepEqual(
      { code: seen[beforeCount]!.code, reason: seen[beforeCount]!.reason },
      { code: 4000, reason: 'client reason κ' },
    );
  });
  await t.test('close from the server: code and reason reach the browser', async () => {
    const c = await openSock(server.url);
    await send(c, { text: '__cmd:close:4001:server reason κ' });
    assert.deepEqual(await closed(c), { code: 4001, reason: 'server reason κ', wasClean: true });
  });
});
