// deploy/haproxy.cfg: the committed template renders and passes `haproxy -c`; its variables are documented. The
// cluster tests (test/cluster/) run the same file in front of real nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '../cluster/harness/binaries.ts';
import { haproxyVariables, scratchDir } from '../cluster/harness/proxy.ts';
import { readDeployFile, renderTemplate, templateVariables } from '../cluster/harness/templates.ts';
import { run } from './helpers.ts';

const upstreams = [
  { host: '127.0.0.1', port: 18081 },
  { host: '127.0.0.1', port: 18082 },
  { host: '127.0.0.1', port: 18083 },
];

function haproxyCheck(vars: Record<string, string>, dir: string): ReturnType<typeof run> {
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, renderTemplate(readDeployFile('haproxy.cfg'), vars));
  return run(findBinary('haproxy'), ['-c', '-f', path]);
}

test('deploy/haproxy.cfg rendered with three servers passes haproxy -c', (t) => {
  const dir = scratchDir(t, 'haproxy-c');
  const r = haproxyCheck(haproxyVariables(dir, 18080, 18404, upstreams), dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Configuration file is valid/);
  assert.doesNotMatch(r.stdout + r.stderr, /WARNING/);
});

test('deploy/haproxy.cfg: haproxy -c refuses a bad server line (the check can fail)', (t) => {
  const dir = scratchDir(t, 'haproxy-c');
  const r = haproxyCheck({ ...haproxyVariables(dir, 18080, 18404, upstreams), SB_SERVERS: '    server n1 check' }, dir);
  assert.notEqual(r.status, 0);
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: the name quotes the template's literal ${SB_*} syntax.
test('deploy/haproxy.cfg documents every ${SB_*} variable it uses in its header and envsubst line', () => {
  const text = readDeployFile('haproxy.cfg');
  const used = templateVariables(text);
  assert.deepEqual(used.sort(), ['SB_BIND', 'SB_RUNTIME_DIR', 'SB_SERVERS', 'SB_STATS_BIND']);
  const header = text
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .join('\n');
  for (const name of used) {
    assert.match(header, new RegExp(`^#\\s+${name}\\s`, 'm'), `${name} described`);
    assert.match(header, new RegExp(`envsubst .*\\b${name}\\b`), `${name} in the envsubst line`);
  }
});

test('deploy/haproxy.cfg carries balance source, timeout tunnel, httpchk /ready, hard-stop-after and forwardfor (OW-4, SD-02)', () => {
  const text = readDeployFile('haproxy.cfg');
  for (const directive of [
    /^\s*balance source$/m,
    /^\s*timeout tunnel 3600s$/m,
    /^\s*option httpchk GET \/ready$/m,
    /^\s*hard-stop-after \d+s$/m,
    /^\s*option forwardfor$/m,
    /^\s*option redispatch( 1)?$/m,
    /^\s*monitor-uri \/haproxy-health$/m,
  ])
    assert.match(text, directive);
  const format = /log-format "([^"]+)"/.exec(text)?.[1] ?? '';
  assert.doesNotMatch(format, /%HU|%HQ|%r\b|%\{\+Q\}r/, 'no query string in the log (AU-10)');
});
