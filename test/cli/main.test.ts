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

test('every command prints its help before loading any configuration (a broken one included), exit 0', () => {
  const commands = [...cli(['--help']).stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(commands.includes('serve') && commands.includes('token'), `commands found: ${commands.join(', ')}`);
  const broken = {
    ...process.env,
    SWITCHBOARD_CONFIG: '/nonexistent/switchboard.json',
    SWITCHBOARD_PORT: 'nope',
    SWITCHBOARD_NO_SUCH_SETTING: '1',
  };
  for (const command of commands) {
    for (const flag of ['--help', '-h']) {
      const r = spawnSync(process.execPath, ['bin/switchboard.js', command, flag], {
        encoding: 'utf8',
        timeout: 20_000,
        env: broken,
      });
      assert.equal(r.status, 0, `${command} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: switchboard ${command}\\b`), `${command} ${flag}`);
      assert.equal(r.stderr, '', `${command} ${flag} writes nothing to stderr`);
    }
  }
  // The same broken environment does stop serve itself, so the help above did not merely ignore it.
  const serve = spawnSync(process.execPath, ['bin/switchboard.js', 'serve', '--dev'], {
    encoding: 'utf8',
    timeout: 20_000,
    env: broken,
  });
  assert.equal(serve.status, 2);
  assert.match(serve.stderr, /cannot read the file/);
});
