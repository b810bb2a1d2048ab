// The real CLI process and SWITCHBOARD_* variables that are not settings: the launcher's SWITCHBOARD_USE_DIST and a
// client's SWITCHBOARD_TOKEN do not stop `serve`; any other unknown SWITCHBOARD_* variable still does, named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentsDirEnv } from '../helpers/documents-dir.ts';

/** The environment of a user's shell: no SWITCHBOARD_* variable of the test runner leaks in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_OPTIONS: '' };
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHBOARD_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

/** Runs `bin/switchboard.js serve --dev --port 0` until it prints its address, then SIGTERM; resolves with the exit code and output. */
function serveOnce(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string; listened: boolean }> {
  const child = spawn(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--dev', '--port', '0', '--log-level', 'warn'],
    // The documents directory is the tests' own, not ./data/documents (test/helpers/documents-dir.ts).
    { env: { ...env, ...documentsDirEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let listened = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!listened && /listening on http:\/\/127\.0\.0\.1:\d+/.test(out)) {
      listened = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, listened });
    }),
  );
}

test('SWITCHBOARD_USE_DIST=1: serve starts from the compiled dist/ (the Dockerfile and systemd unit set it)', async (t) => {
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(build.status, 0, `the build compiles: ${build.stdout}${build.stderr}`);
  const coverage = mkdtempSync(join(tmpdir(), 'sb-dist-'));
  t.after(() => rmSync(coverage, { recursive: true, force: true }));
  // V8 coverage lists every script the process ran: proof of which main module the launcher chose.
  const r = await serveOnce(cleanEnv({ SWITCHBOARD_USE_DIST: '1', NODE_V8_COVERAGE: coverage }));
  assert.equal(r.listened, true, `serve did not start: ${r.err}`);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /unknown setting/);
  const urls = readdirSync(coverage).flatMap((f) =>
    (JSON.parse(readFileSync(join(coverage, f), 'utf8')) as { result: { url: string }[] }).result.map((s) => s.url),
  );
  assert.ok(
    urls.some((u) => u.endsWith('/dist/cli/main.js')),
    'dist/cli/main.js ran',
  );
  assert.ok(
    urls.some((u) => u.endsWith('/dist/cli/config/load.js')),
    'the compiled config loader ran',
  );
  assert.equal(
    urls.some((u) => u.endsWith('/src/cli/main.ts')),
    false,
    'the TypeScript source did not',
  );
});

test('SWITCHBOARD_TOKEN (a client-side variable) does not stop serve --dev', async () => {
  const r = await serveOnce(cleanEnv({ SWITCHBOARD_TOKEN: 'eyJhbGciOiJIUzI1NiJ9.e30.x' }));
  assert.equal(r.listened, true, `serve did not start: ${r.err}`);
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}: ${r.out} ${r.err}`);
});

test('an unknown SWITCHBOARD_* variable still stops serve with exit 2, naming it', async () => {
  const r = await serveOnce(cleanEnv({ SWITCHBOARD_FOO: '1' }));
  assert.equal(r.listened, false);
  assert.equal(r.code, 2);
  assert.match(r.err, /FOO: unknown setting \(from SWITCHBOARD_FOO\)/);
  const typo = await serveOnce(cleanEnv({ SWITCHBOARD_LIMITS__MAXMESSAGESIZE: '1024' }));
  assert.equal(typo.code, 2);
  assert.match(
    typo.err,
    /unknown setting \(did you mean SWITCHBOARD_LIMITS__MAX_MESSAGE_SIZE\?\) \(from SWITCHBOARD_LIMITS__MAXMESSAGESIZE\)/,
  );
});
