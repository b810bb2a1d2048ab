// deploy/systemd/switchboard.service: `systemd-analyze verify` accepts it without a warning, and its stop timeout leaves
// room for the server's drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '../cluster/harness/binaries.ts';
import { scratchDir } from '../cluster/harness/proxy.ts';
import { ROOT } from '../cluster/harness/templates.ts';
import { configFromEnv, durationMs, run } from './helpers.ts';

const UNIT = join(ROOT, 'deploy', 'systemd', 'switchboard.service');

function directives(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m !== null) map.set(m[1]!, m[2]!);
  }
  return map;
}

test('deploy/systemd/switchboard.service passes systemd-analyze verify with no warning', (t) => {
  const dir = scratchDir(t, 'systemd');
  const copy = join(dir, 'switchboard.service');
  copyFileSync(UNIT, copy);
  const r = run(findBinary('systemd-analyze'), ['verify', copy]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warning');
});

test('systemd-analyze verify reports a mistyped directive value (the check can fail)', (t) => {
  const dir = scratchDir(t, 'systemd');
  const copy = join(dir, 'switchboard.service');
  writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('KillSignal=SIGTERM', 'KillSignal=SIGTERMX'));
  const r = run(findBinary('systemd-analyze'), ['verify', copy]);
  assert.match(r.stderr, /SIGTERMX/);
});

test('deploy/systemd unit: LimitNOFILE, Restart=on-failure, KillSignal=SIGTERM, and TimeoutStopSec above the drain deadline', async () => {
  const d = directives(readFileSync(UNIT, 'utf8'));
  assert.ok(Number(d.get('LimitNOFILE')) >= 65_536);
  assert.equal(d.get('Restart'), 'on-failure');
  assert.equal(d.get('KillSignal'), 'SIGTERM');
  const config = await configFromEnv({
    SWITCHBOARD_AUTH__HS256_SECRET: 'x'.repeat(32),
    SWITCHBOARD_ALLOW_PLAINTEXT: 'true',
  });
  assert.ok(
    durationMs(d.get('TimeoutStopSec') ?? '0') >= config.limits.drainTimeoutMs + 5000,
    'systemd never SIGKILLs a drain in progress',
  );
  assert.match(d.get('ExecStart') ?? '', /bin\/switchboard\.js serve\b/);
  assert.notEqual(d.get('User') ?? 'root', 'root');
});
