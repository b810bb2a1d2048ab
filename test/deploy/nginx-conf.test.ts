// deploy/nginx.conf: the committed template renders and passes `nginx -t`; its variables are documented; the stream,
// poll and send locations carry the timeouts and buffering of docs/protocol.md section 15. The cluster tests
// (test/cluster/) run the same file over TLS in front of real nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '../cluster/harness/binaries.ts';
import { nginxVariables, scratchDir, type TlsListener } from '../cluster/harness/proxy.ts';
import { readDeployFile, renderTemplate, templateVariables } from '../cluster/harness/templates.ts';
import { selfSignedCertificate } from '../cluster/harness/tls.ts';
import { run } from './helpers.ts';

const upstreams = [
  { host: '127.0.0.1', port: 18081 },
  { host: '127.0.0.1', port: 18082 },
  { host: '127.0.0.1', port: 18083 },
];

function tls(dir: string): TlsListener {
  return { port: 18443, files: selfSignedCertificate(dir), redirectHttp: true };
}

function nginxTest(vars: Record<string, string>, dir: string): ReturnType<typeof run> {
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, renderTemplate(readDeployFile('nginx.conf'), vars));
  return run(findBinary('nginx'), ['-t', '-p', dir, '-c', path, '-e', join(dir, 'error.log')]);
}

test('deploy/nginx.conf rendered with three upstreams and a certificate passes nginx -t', (t) => {
  const dir = scratchDir(t, 'nginx-t');
  const r = nginxTest(nginxVariables(dir, 18080, upstreams, tls(dir)), dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /test is successful/);
});

test('deploy/nginx.conf: nginx -t refuses it with no upstream (the check can fail)', (t) => {
  const dir = scratchDir(t, 'nginx-t');
  const r = nginxTest({ ...nginxVariables(dir, 18080, upstreams, tls(dir)), SB_UPSTREAMS: '' }, dir);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no servers are inside upstream/);
});

test('deploy/nginx.conf: nginx -t refuses a certificate path that does not exist (the check can fail)', (t) => {
  const dir = scratchDir(t, 'nginx-t');
  const r = nginxTest(
    { ...nginxVariables(dir, 18080, upstreams, tls(dir)), SB_TLS_CERT: join(dir, 'missing.pem') },
    dir,
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot load certificate .*missing\.pem/);
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: the name quotes the template's literal ${SB_*} syntax.
test('deploy/nginx.conf documents every ${SB_*} variable it uses in its header and envsubst line', () => {
  const text = readDeployFile('nginx.conf');
  const used = templateVariables(text);
  assert.deepEqual(used.sort(), [
    'SB_ACME_ROOT',
    'SB_HTTP_REDIRECT',
    'SB_LISTEN',
    'SB_LOG_DIR',
    'SB_RUNTIME_DIR',
    'SB_TLS_CERT',
    'SB_TLS_KEY',
    'SB_TLS_LISTEN',
    'SB_UPSTREAMS',
    'SB_WORKERS',
  ]);
  const header = text
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .join('\n');
  for (const name of used) {
    assert.match(header, new RegExp(`^#\\s+${name}\\s`, 'm'), `${name} described`);
    assert.match(header, new RegExp(`envsubst .*\\b${name}\\b`), `${name} in the envsubst line`);
  }
  assert.throws(() => renderTemplate(text, { SB_LISTEN: '80' }), /no value for .*SB_UPSTREAMS/);
});

test('deploy/nginx.conf carries the WebSocket proxy settings of OW-4 and SD-02', () => {
  const text = readDeployFile('nginx.conf');
  for (const directive of [
    /^\s*ip_hash;/m,
    /map \$http_upgrade \$connection_upgrade/,
    /proxy_http_version 1\.1;/,
    /proxy_set_header Upgrade \$http_upgrade;/,
    /proxy_set_header Connection \$connection_upgrade;/,
    /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/,
    /proxy_set_header X-Forwarded-Proto \$scheme;/,
    /listen \$\{SB_TLS_LISTEN\} ssl http2;/,
    /ssl_certificate +\$\{SB_TLS_CERT\};/,
    /ssl_certificate_key +\$\{SB_TLS_KEY\};/,
    /return 308 https:\/\/\$host\$request_uri;/,
    /worker_shutdown_timeout \d+s;/,
    /location = \/nginx-health/,
  ])
    assert.match(text, directive);
  // The access log format must not contain the query string ($request, $request_uri, $args): tokens travel there (AU-10).
  const format = /log_format switchboard ([^;]+);/.exec(text)?.[1] ?? '';
  assert.doesNotMatch(format, /\$request\b|\$request_uri|\$args|\$query_string/);
});

/** The directives of the `location <match> { ... }` block of the template (locations hold no nested blocks here). */
function location(text: string, match: string): string {
  const start = text.indexOf(`location ${match} {`);
  assert.notEqual(start, -1, `location ${match}`);
  return text.slice(start, text.indexOf('}', start));
}

function seconds(block: string, directive: string): number {
  const m = new RegExp(`^\\s*${directive} (\\d+)s;`, 'm').exec(block);
  assert.ok(m !== null, `${directive} in ${block.split('\n')[0]}`);
  return Number(m[1]);
}

/** The server's default poll timeout (docs/protocol.md 15.3) and SSE keepalive interval (15.2). */
const POLL_TIMEOUT_S = 25;
const KEEPALIVE_S = 15;

test('deploy/nginx.conf: streams unbuffered with long reads, polls above the 25 s hold, sends and plain requests short', () => {
  const text = readDeployFile('nginx.conf');
  const server = text.slice(text.indexOf('\n    server {'), text.indexOf('\n        location '));
  const streams = location(text, '~ ^/(?:sse|http/stream)$');
  assert.match(streams, /proxy_buffering off;/);
  assert.match(streams, /gzip off;/);
  assert.ok(seconds(streams, 'proxy_read_timeout') >= 3600, 'a stream outlives many keepalives');
  const ws = location(text, '/ws');
  for (const d of ['proxy_read_timeout', 'proxy_send_timeout', 'send_timeout']) assert.equal(seconds(ws, d), 3600);
  const poll = location(text, '= /http/poll');
  assert.ok(seconds(poll, 'proxy_read_timeout') >= 2 * POLL_TIMEOUT_S, 'a held poll is answered before nginx gives up');
  const send = location(text, '= /http/send');
  assert.ok(seconds(send, 'proxy_read_timeout') <= 10, 'a send is a short POST');
  assert.ok(seconds(server, 'proxy_read_timeout') <= 60, 'plain requests get no long timeout');
  assert.ok(seconds(server, 'proxy_read_timeout') > KEEPALIVE_S);
  // The buffered default location must still honour a node's X-Accel-Buffering: no.
  assert.doesNotMatch(text, /proxy_ignore_headers[^;]*X-Accel-Buffering/);
  assert.doesNotMatch(location(text, '/'), /proxy_buffering off/);
  // A proxy_set_header inside a location would drop the server-level ones (Upgrade, X-Forwarded-*) there.
  for (const block of [streams, ws, poll, send, location(text, '/')]) assert.doesNotMatch(block, /proxy_set_header/);
});
