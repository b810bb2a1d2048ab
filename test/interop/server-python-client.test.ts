// Interop: Switchboard's server with Python's `websockets` client (sizes, fragments, ping/pong, close both ways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startEcho } from '../helpers/echo-server.ts';
import { INTEROP_SIZES } from '../helpers/inbox.ts';
import { pattern, startPythonClient, type PythonClient } from '../helpers/python.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function client(url: string, t: { after(fn: () => unknown): void }): Promise<PythonClient> {
  const py = startPythonClient();
  t.after(() => py.stop());
  await py.call('connect', { url });
  return py;
}

test('interop: Python websockets client -> Switchboard server', async (t) => {
  const server = await startEcho('switchboard');
  t.after(() => server.stop());
  const py = await client(server.url, t);

  const expectEcho = async (expected: Buffer, binary: boolean) => {
    const m = await py.call('recv', { timeout: 15 });
    assert.equal(m['kind'], binary ? 'binary' : 'text');
    assert.equal(m['len'], expected.length);
    assert.equal(m['sha256'], sha(expected));
  };

  await t.test('text', async () => {
    await py.call('send', { text: 'hello κόσμε 😀' });
    await expectEcho(Buffer.from('hello κόσμε 😀'), false);
  });
  await t.test('binary', async () => {
    await py.call('send', { b64: Buffer.from([0, 1, 2, 0xff]).toString('base64') });
    await expectEcho(Buffer.from([0, 1, 2, 0xff]), true);
  });
  await t.test('empty text', async () => {
    await py.call('send', { text: '' });
    await expectEcho(Buffer.alloc(0), false);
  });
  await t.test('empty binary', async () => {
    await py.call('send', { b64: '' });
    await expectEcho(Buffer.alloc(0), true);
  });
  for (const size of INTEROP_SIZES) {
    await t.test(`binary ${size} bytes`, async () => {
      await py.call('send', { size, binary: true });
      await expectEcho(pattern(size, true), true);
    });
    await t.test(`text ${size} bytes`, async () => {
      await py.call('send', { size, binary: false });
      await expectEcho(pattern(size, false), false);
    });
  }
  await t.test('fragmented text from the client (iterable of 3 fragments)', async () => {
    await py.call('sendfrag', { parts: ['frag-', 'κόσμε', '-end'] });
    await expectEcho(Buffer.from('frag-κόσμε-end'), false);
  });
  await t.test('fragmented binary from the client (50 fragments)', async () => {
    const whole = pattern(50_000, true);
    const parts = Array.from({ length: 50 }, (_, i) => whole.subarray(i * 1000, (i + 1) * 1000).toString('base64'));
    await py.call('sendfrag', { parts_b64: parts });
    await expectEcho(whole, true);
  });
  await t.test('client ping -> server pong', async () => {
    await py.call('ping', { data: 'py-ping' });
  });
  await t.test('server ping -> client pong', async () => {
    await py.call('send', { text: '__cmd:ping:srv' });
    const m = await py.call('recv');
    assert.equal(m['text'], '__pong:srv');
  });
  await t.test('close from the client: code and reason reach the server', async () => {
    const c = await client(server.url, t);
    const before = server.closes.length;
    const r = await c.call('close', { code: 4000, reason: 'client reason κ' });
    assert.equal(r['code'], 4000, 'echoed code');
    const seen = await server.waitCloses(before + 1);
    assert.deepEqual(
      { code: seen[before]!.code, reason: seen[before]!.reason },
      { code: 4000, reason: 'client reason κ' },
    );
  });
  await t.test('close from the server: code and reason reach the client', async () => {
    const c = await client(server.url, t);
    await c.call('send', { text: '__cmd:close:4001:server reason κ' });
    const m = await c.call('recv');
    assert.deepEqual(
      { closed: m['closed'], code: m['code'], reason: m['reason'] },
      { closed: true, code: 4001, reason: 'server reason κ' },
    );
  });
});
