// Interop (docs/security-cases.md PD-11): permessage-deflate between Switchboard and Python `websockets`, client and server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from '../../src/engine/index.ts';
import { startEcho } from '../helpers/echo-server.ts';
import { Inbox } from '../helpers/inbox.ts';
import { pattern, startPythonClient, startPythonServer } from '../helpers/python.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const SIZES = [0, 5, 1023, 1024, 70_000, 4 * 1024 * 1024];

for (const [name, deflate, expected] of [
  ['websockets default offer', {}, /^permessage-deflate/],
  [
    'all four parameters',
    {
      server_no_context_takeover: true,
      client_no_context_takeover: true,
      server_max_window_bits: 10,
      client_max_window_bits: 11,
    },
    /server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11/,
  ],
] as const) {
  test(`interop: Python websockets client with compression -> Switchboard server, ${name} (PD-11)`, async (t) => {
    const server = await startEcho('switchboard', { perMessageDeflate: true, pingIntervalMs: 0 });
    t.after(() => server.stop());
    const py = startPythonClient();
    t.after(() => py.stop());
    const opened = await py.call('connect', { url: server.url, deflate });
    assert.match(String(opened['extensions']), expected);
    for (const size of SIZES) {
      for (const binary of [false, true]) {
        const data = pattern(size, binary);
        await py.call('send', { size, binary });
        const m = await py.call('recv', { timeout: 20 });
        assert.equal(m['kind'], binary ? 'binary' : 'text', `${size} ${binary}`);
        assert.equal(m['len'], size);
        assert.equal(m['sha256'], sha(data), `echo of ${size} bytes (binary ${binary})`);
      }
    }
    // A fragmented message: websockets compresses it as one message over several frames.
    const parts = ['one '.repeat(500), 'two '.repeat(500), 'three'];
    await py.call('sendfrag', { parts });
    const m = await py.call('recv', { timeout: 10 });
    assert.equal(m['sha256'], sha(Buffer.from(parts.join(''))));
    const closed = await py.call('close', { code: 1000 });
    assert.equal(closed['code'], 1000);
    await server.waitCloses(1);
  });
}

test('interop: Switchboard client with compression -> Python websockets server (window bits 12 imposed), PD-11', async (t) => {
  const py = await startPythonServer();
  t.after(() => py.stop());
  for (const option of [true, { serverNoContextTakeover: true, clientNoContextTakeover: true }] as const) {
    const ws = await connect(py.url, { perMessageDeflate: option, maxMessageSize: 32 * 1024 * 1024 });
    t.after(() => ws.terminate());
    assert.match(ws.extensions, /server_max_window_bits=12/);
    assert.match(ws.extensions, /client_max_window_bits=12/);
    const inbox = new Inbox<unknown>();
    ws.onmessage = (e) => inbox.push(e.data);
    for (const size of SIZES) {
      for (const binary of [false, true]) {
        const data = pattern(size, binary);
        ws.send(binary ? data : data.toString('latin1'));
        const got = await inbox.next(20_000, `echo of ${size}`);
        if (binary) assert.ok(Buffer.isBuffer(got) && got.equals(data), `binary ${size}`);
        else assert.equal(got, data.toString('latin1'), `text ${size}`);
      }
    }
    // The Python server sends a compressed message in fragments.
    ws.send(`__cmd:frag:4:${'fragment me please '.repeat(200)}`);
    assert.equal(await inbox.next(10_000, 'fragmented'), 'fragment me please '.repeat(200));
    const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
    ws.close(1000);
    assert.equal(await closed, 1000);
    assert.equal((await py.nextClosed()).code, 1000);
  }
});
