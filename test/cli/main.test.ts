// Tests of src/cli/main.ts: subcommand dispatch and help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/switchboard.js', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help lists the commands and exits 0', () => {
  const r = cli(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: switchboard <command>/);
  assert.match(r.stdout, /\becho\b/);
  assert.match(r.stdout, /\bconnect\b/);
});

test('an unknown command exits 2 with the usage on stderr', () => {
  const r = cli(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('`echo --help` prints the command help', () => {
  const r = cli(['echo', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: switchboard echo/);
});
