// `switchboard serve` over TLS: https:// and wss:// from tls.certFile/keyFile, SIGHUP swaps the certificate for new
// handshakes, and unreadable or mismatched files stop the start with exit code 2 naming the problem.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { connect } from '../../src/engine/index.ts';
import { signToken } from '../../src/realtime/index.ts';
import { selfSignedCert } from '../helpers/engine-fixtures.ts';

const SECRET = 'serve-tls-test-secret-at-least-32-bytes!';

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-serve-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      mode: 'production',
      port: 0,
      auth: { hs256Secret: SECRET },
      namespaces: { chat: {} },
      log: { level: 'warn', pretty: false },
      tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
      ...extra,
    }),
  );
  return path;
}

function spawnServe(config: string): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config], {
    env: { ...process.env, NODE_OPTIONS: '', SWITCHBOARD_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { child, out: () => out, exited };
}

async function until<T>(what: string, check: () => T | null, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The SHA-256 fingerprint of the certificate a fresh TLS handshake presents. */
function presented(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, servername: 'localhost' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

test('serve with tls: https:// and wss:// answer, plain http does not, SIGHUP rotates the certificate', async (t) => {
  const dir = scratch(t);
  const first = selfSignedCert();
  writeFileSync(join(dir, 'cert.pem'), first.cert);
  writeFileSync(join(dir, 'key.pem'), first.key);
  const s = spawnServe(writeConfig(dir));
  t.after(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  const port = await until('the https address', () => {
    const m = /listening on https:\/\/127\.0\.0\.1:(\d+) \(WebSocket wss:\/\/127\.0\.0\.1:\d+\/ws\)/.exec(s.out());
    return m === null ? null : Number(m[1]);
  });
  assert.equal(await httpsStatus(`https://127.0.0.1:${port}/health`, first.cert), 200);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'plain HTTP gets no answer from the TLS port');

  const ws = await connect(`wss://127.0.0.1:${port}/ws`, {
    protocols: ['switchboard.v1.json'],
    tls: { ca: first.cert, servername: 'localhost' },
  });
  const answers: string[] = [];
  ws.onmessage = (e) => answers.push(e.data as string);
  ws.send(
    JSON.stringify({
      type: 'connect',
      rid: 1,
      token: await signToken({ sub: 'alice', ttlMs: 60_000 }, { type: 'secret', secret: SECRET }),
    }),
  );
  const connected = await until('connected', () => answers.find((a) => a.includes('"connected"')) ?? null, 5000);
  assert.equal((JSON.parse(connected) as { user: string }).user, 'alice');

  const before = await presented(port, first.cert);
  const second = selfSignedCert();
  writeFileSync(join(dir, 'cert.pem'), second.cert);
  writeFileSync(join(dir, 'key.pem'), second.key);
  s.child.kill('SIGHUP');
  // The old certificate's CA no longer verifies once the new one is served: poll with the new CA.
  let after: string | null = null;
  for (const deadline = Date.now() + 10_000; after === null; await new Promise((r) => setTimeout(r, 100))) {
    after = await presented(port, second.cert).catch(() => null);
    if (after === null && Date.now() > deadline) throw new Error(`the new certificate was not served: ${s.out()}`);
  }
  assert.notEqual(after, before, 'new handshakes get the new certificate');
  assert.equal(ws.readyState, 1, 'the open connection keeps going');
  ws.send(JSON.stringify({ type: 'ping', rid: 2 }));
  await until('the ping reply on the old connection', () => answers.find((a) => a.includes('"re":2')) ?? null, 5000);

  writeFileSync(join(dir, 'cert.pem'), 'not a certificate');
  s.child.kill('SIGHUP');
  await until('the reload error in the log', () => (s.out().includes('tls_reload_failed') ? true : null), 10_000);
  assert.equal(await presented(port, second.cert), after, 'a broken file keeps the previous certificate');
  ws.close();
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('serve with unusable tls files exits 2 and says which', async (t) => {
  const dir = scratch(t);
  const missing = spawnServe(writeConfig(dir));
  assert.equal(await missing.exited, 2);
  assert.match(missing.out(), /tls: cannot read .*cert\.pem: ENOENT/);

  const a = selfSignedCert();
  const b = selfSignedCert();
  writeFileSync(join(dir, 'cert.pem'), a.cert);
  writeFileSync(join(dir, 'key.pem'), b.key);
  const mismatched = spawnServe(writeConfig(dir));
  assert.equal(await mismatched.exited, 2);
  assert.match(mismatched.out(), /not a usable certificate and key/);
});
