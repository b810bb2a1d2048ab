// Tests of src/cli/connect.ts: scripted mode (-x) against the echo command and an in-process server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { selfSignedCert, startServer } from '../helpers/engine-fixtures.ts';
import { DEV_SECRET } from '../../src/cli/config.ts';
import { signToken } from '../../src/realtime/index.ts';
import { clientEnv, serveDev, spawnEcho } from '../helpers/cli-fixtures.ts';

function runConnect(
  args: string[],
  timeoutMs = 20_000,
  input?: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/switchboard.js', 'connect', ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: clientEnv(env),
    });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`connect did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('connect -x sends each message in order and prints each echo on its own line, exit 0 after --wait', async (t) => {
  const { url } = await spawnEcho(t);
  const r = await runConnect([url, '-x', 'first', '-x', 'second message', '--wait', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'first\nsecond message\n');
});

test('connect prints binary messages as hex and exits 0 when the server closes normally', async (t) => {
  const { wss, url } = await startServer(t);
  const seen: Array<{ headers: Record<string, unknown>; protocol: string }> = [];
  wss.on('connection', (ws, req) => {
    seen.push({ headers: req.headers, protocol: ws.protocol });
    ws.onmessage = () => {
      ws.send(Buffer.from([0x00, 0xff, 0x10]));
      ws.close(1000);
    };
  });
  const r = await runConnect([url, '-H', 'X-Token: abc', '-x', 'go', '--wait', '10000']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '00ff10\n');
  assert.equal(seen[0]!.headers['x-token'], 'abc');
});

test('connect -s offers subprotocols', async (t) => {
  const { wss, url } = await startServer(t, { handleProtocols: (p) => (p.includes('b') ? 'b' : null) });
  wss.on('connection', (ws) => ws.send(`proto=${ws.protocol}`));
  const r = await runConnect([url, '-s', 'a', '-s', 'b', '-x', 'x', '--wait', '300']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'proto=b\n');
});

test('a failed handshake exits non-zero and prints the HTTP status', async (t) => {
  const { url } = await spawnEcho(t, ['--path', '/only']);
  const r = await runConnect([url.replace(/\/only$/, '/wrong'), '-x', 'x']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /HTTP 404/);
});

test('an abnormal close exits non-zero', async (t) => {
  const { wss, url } = await startServer(t);
  wss.on('connection', (ws) => {
    ws.onmessage = () => ws.close(1011, 'boom');
  });
  const r = await runConnect([url, '-x', 'x', '--wait', '10000']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /1011/);
});

test('connect sends SWITCHBOARD_TOKEN (or --token) as the handshake credential of a serve that requires a token', async (t) => {
  const { url } = await serveDev(t, ['--set', 'auth.anonymous.enabled=false']);
  const token = await signToken({ sub: 'alice', ttlMs: 3_600_000 }, { type: 'secret', secret: DEV_SECRET });
  const args = [url, '-s', 'switchboard.v1.json', '-x', '{"type":"connect","rid":1}', '--wait', '500'];
  const withVariable = await runConnect(args, 20_000, undefined, { SWITCHBOARD_TOKEN: token });
  assert.equal(withVariable.code, 0, withVariable.stderr);
  assert.match(withVariable.stdout, /"type":"connected","re":1,.*"user":"alice"/);
  const withFlag = await runConnect([...args, '--token', token]);
  assert.equal(withFlag.code, 0, withFlag.stderr);
  assert.match(withFlag.stdout, /"user":"alice"/);
  // The flag wins over the variable: a wrong flag is refused even with a good variable.
  const flagWins = await runConnect([...args, '-t', 'not.a.jwt'], 20_000, undefined, { SWITCHBOARD_TOKEN: token });
  assert.equal(flagWins.code, 1);
  assert.match(flagWins.stderr, /HTTP 401/);
  const without = await runConnect(args);
  assert.equal(without.code, 1);
  assert.match(without.stdout, /"code":"unauthorized"/);
  const both = await runConnect([...args, '-t', token, '-H', `Authorization: Bearer ${token}`]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give --token or an -H Authorization header, not both/);
  // An -H Authorization header wins over the variable, which is then not even checked (here it is not a valid token).
  const headerWins = await runConnect([...args, '-H', `Authorization: Bearer ${token}`], 20_000, undefined, {
    SWITCHBOARD_TOKEN: 'two words',
  });
  assert.equal(headerWins.code, 0, headerWins.stderr);
  assert.match(headerWins.stdout, /"user":"alice"/);
});

test('usage errors exit 2; --help exits 0', async () => {
  assert.equal((await runConnect([])).code, 2);
  assert.equal((await runConnect(['ws://127.0.0.1:1/', '-H', 'no-colon'])).code, 2);
  const help = await runConnect(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: switchboard connect URL/);
  assert.match(help.stdout, /-t, --token JWT .*\$SWITCHBOARD_TOKEN/);
});

test('piped stdin: each line is sent as text; exit 0 after --wait once stdin ends', async (t) => {
  const { url } = await spawnEcho(t);
  const child = spawn(process.execPath, ['bin/switchboard.js', 'connect', url, '--wait', '300'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stdin.end('line one\nline two\n');
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('connect did not exit'));
    }, 20_000);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0);
  assert.equal(stdout, 'line one\nline two\n');
});

test('connect to wss:// with --ca, or with -k; without either the certificate is refused', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { key, cert } = selfSignedCert();
  const dir = mkdtempSync(join(tmpdir(), 'sb-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), cert);
  const { wss, port } = await startServer(t, { tls: { key, cert } });
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => ws.send(e.data as string);
  });
  const url = `wss://localhost:${port}/`;
  const withCa = await runConnect([url, '--ca', join(dir, 'ca.pem'), '-x', 'tls', '--wait', '300']);
  assert.equal(withCa.code, 0, withCa.stderr);
  assert.equal(withCa.stdout, 'tls\n');
  const insecure = await runConnect([url, '-k', '-x', 'k', '--wait', '300']);
  assert.equal(insecure.stdout, 'k\n');
  const refused = await runConnect([url, '-x', 'no']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /certificate/i);
});

test('piped stdin ending with /quit: the echo of the last line is printed before quitting, without waiting out --wait', async (t) => {
  const { url } = await spawnEcho(t);
  const started = Date.now();
  const r = await runConnect([url, '--wait', '8000'], 20_000, 'x\n/quit\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'x\n');
  assert.equal(r.stderr, '');
  assert.ok(Date.now() - started < 6_000, 'the pong after the echo ends the wait');
});

test('piped /close CODE REASON: replies first, then the close with its code and reason, exit 0; later lines are not sent', async (t) => {
  const { wss, url } = await startServer(t);
  const received: string[] = [];
  wss.on('connection', (ws) => {
    ws.onmessage = (e) => {
      received.push(e.data as string);
      ws.send(`echo ${e.data as string}`);
    };
  });
  const r = await runConnect([url], 20_000, 'one\ntwo\n/close 4000 bye now\nthree\n');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'echo one\necho two\n');
  assert.equal(r.stderr, 'closed: 4000 bye now\n');
  assert.deepEqual(received, ['one', 'two']);
});

test('an invalid /close is refused with the reason and the connection stays usable', async (t) => {
  const { url } = await spawnEcho(t);
  const r = await runConnect([url, '--wait', '300'], 20_000, '/close 99 x\nafter\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^error: Cannot send close code "99"/m);
  assert.equal(r.stdout, 'after\n');
});

test('interactive (a pseudo-terminal): replies and the close are printed with the received marker "< ", exit 0', async (t) => {
  const { url } = await spawnEcho(t);
  // util-linux script(1) runs the CLI on a pty, so process.stdin.isTTY is true as for a user.
  const child = spawn('script', ['-qfec', `${process.execPath} bin/switchboard.js connect ${url}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(out)}`)), 15_000);
      const check = (): void => {
        if (!re.test(out)) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve();
      };
      child.stdout.on('data', check);
      check();
    });
  await waitFor(/\/quit to exit/);
  child.stdin.write('hello\r');
  await waitFor(/< hello\r\n/);
  child.stdin.write('/close 4000 bye now\r');
  await waitFor(/< closed: 4000 bye now\r\n/);
  const code = await new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /> closed/);
});
