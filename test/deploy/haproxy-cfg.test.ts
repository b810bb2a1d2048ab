// deploy/haproxy.cfg and deploy/haproxy-sticky.cfg: the committed templates render and pass `haproxy -c`; their
// variables are documented; the sticky one differs only by its stickiness lines; per-path timeouts fit
// docs/protocol.md section 15. The cluster tests (test/cluster/) run the same files over TLS in front of real nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '../cluster/harness/binaries.ts';
import { haproxyVariables, scratchDir, type TlsListener } from '../cluster/harness/proxy.ts';
import { readDeployFile, renderTemplate, templateVariables } from '../cluster/harness/templates.ts';
import { selfSignedCertificate } from '../cluster/harness/tls.ts';
import { run } from './helpers.ts';

const upstreams = [
  { host: '127.0.0.1', port: 18081 },
  { host: '127.0.0.1', port: 18082 },
  { host: '127.0.0.1', port: 18083 },
];

const FILES = ['haproxy.cfg', 'haproxy-sticky.cfg'] as const;

function tls(dir: string): TlsListener {
  return { port: 18443, files: selfSignedCertificate(dir), redirectHttp: true };
}

function haproxyCheck(vars: Record<string, string>, dir: string, file = 'haproxy.cfg'): ReturnType<typeof run> {
  const path = join(dir, file);
  writeFileSync(path, renderTemplate(readDeployFile(file), vars));
  return run(findBinary('haproxy'), ['-c', '-f', path]);
}

for (const file of FILES) {
  test(`deploy/${file} rendered with three servers and a certificate passes haproxy -c`, (t) => {
    const dir = scratchDir(t, 'haproxy-c');
    const r = haproxyCheck(haproxyVariables(dir, 18080, 18404, upstreams, tls(dir)), dir, file);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Configuration file is valid/);
    assert.doesNotMatch(r.stdout + r.stderr, /WARNING/);
  });
}

test('deploy/haproxy.cfg: haproxy -c refuses a certificate file that does not exist (the check can fail)', (t) => {
  const dir = scratchDir(t, 'haproxy-c');
  const r = haproxyCheck(
    { ...haproxyVariables(dir, 18080, 18404, upstreams, tls(dir)), SB_TLS_PEM: join(dir, 'missing.pem') },
    dir,
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /missing\.pem/);
});

test('deploy/haproxy.cfg: haproxy -c refuses a bad server line (the check can fail)', (t) => {
  const dir = scratchDir(t, 'haproxy-c');
  const r = haproxyCheck(
    { ...haproxyVariables(dir, 18080, 18404, upstreams, tls(dir)), SB_SERVERS: '    server n1 check' },
    dir,
  );
  assert.notEqual(r.status, 0);
});

for (const file of FILES) {
  test(`deploy/${file} documents every \${SB_*} variable it uses in its header and envsubst line`, () => {
    const text = readDeployFile(file);
    const used = templateVariables(text);
    assert.deepEqual(used.sort(), [
      'SB_BIND',
      'SB_HTTP_REDIRECT',
      'SB_RUNTIME_DIR',
      'SB_SERVERS',
      'SB_STATS_BIND',
      'SB_TLS_BIND',
      'SB_TLS_PEM',
    ]);
    const header = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    for (const name of used) {
      assert.match(header, new RegExp(`^#\\s+${name}\\s`, 'm'), `${name} described`);
      assert.match(header, new RegExp(`envsubst .*\\b${name}\\b`), `${name} in the envsubst line`);
    }
    assert.match(header, new RegExp(`< deploy/${file.replace('.', '\\.')} >`), 'the envsubst line names this file');
  });
}

/** Directive lines without comments and blank lines. */
function directives(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

test('deploy/haproxy-sticky.cfg is deploy/haproxy.cfg with cookie stickiness in place of balance source, nothing else', () => {
  const plain = directives(readDeployFile('haproxy.cfg'));
  const sticky = directives(readDeployFile('haproxy-sticky.cfg'));
  const plainOnly = plain.filter((l) => !sticky.includes(l));
  const stickyOnly = sticky.filter((l) => !plain.includes(l));
  assert.deepEqual(plainOnly, ['balance source', 'hash-type consistent']);
  assert.deepEqual(stickyOnly, ['balance roundrobin', 'cookie SBNODE insert indirect nocache httponly secure']);
  assert.equal(plain.length - plainOnly.length, sticky.length - stickyOnly.length);
});

test('deploy/haproxy.cfg: TLS bind with HTTP/2, 308 redirect unless off, X-Forwarded-Proto, per-path server timeouts', () => {
  const text = readDeployFile('haproxy.cfg');
  assert.match(text, /^\s*bind \$\{SB_TLS_BIND\} ssl crt \$\{SB_TLS_PEM\} alpn h2,http\/1\.1$/m);
  assert.match(
    text,
    /^\s*http-request redirect location https:\/\/.* code 308 if !\{ ssl_fc \} !\{ str\(\$\{SB_HTTP_REDIRECT\}\) -m str off \}$/m,
  );
  assert.match(text, /^\s*http-request set-header X-Forwarded-Proto https if \{ ssl_fc \}$/m);
  const timeout = (acl: string): number => {
    const m = new RegExp(`^\\s*http-request set-timeout server (\\d+)s if ${acl}$`, 'm').exec(text);
    assert.ok(m !== null, acl);
    return Number(m[1]);
  };
  assert.match(text, /^\s*acl switchboard_stream path \/sse \/http\/stream$/m);
  assert.ok(timeout('switchboard_stream') >= 3600);
  assert.ok(timeout('switchboard_poll') >= 2 * 25, 'above the default 25 s poll hold (docs/protocol.md 15.3)');
  assert.ok(timeout('switchboard_send') <= 10);
  assert.match(text, /^\s*timeout server 60s$/m);
  assert.doesNotMatch(text, /^\s*compression /m, 'compression would hold events back');
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
