// deploy/nginx.conf: the committed template renders and passes `nginx -t`; its variables are documented. The cluster
// tests (test/cluster/) run the same file in front of real nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from '../cluster/harness/binaries.ts';
import { nginxVariables, scratchDir } from '../cluster/harness/proxy.ts';
import { readDeployFile, renderTemplate, templateVariables } from '../cluster/harness/templates.ts';
import { run } from './helpers.ts';

const upstreams = [
  { host: '127.0.0.1', port: 18081 },
  { host: '127.0.0.1', port: 18082 },
  { host: '127.0.0.1', port: 18083 },
];

function nginxTest(vars: Record<string, string>, dir: string): ReturnType<typeof run> {
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, renderTemplate(readDeployFile('nginx.conf'), vars));
  return run(findBinary('nginx'), ['-t', '-p', dir, '-c', path, '-e', join(dir, 'error.log')]);
}

test('deploy/nginx.conf rendered with three upstreams passes nginx -t', (t) => {
  const dir = scratchDir(t, 'nginx-t');
  const r = nginxTest(nginxVariables(dir, 18080, upstreams), dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /test is successful/);
});

test('deploy/nginx.conf: nginx -t refuses it with no upstream (the check can fail)', (t) => {
  const dir = scratchDir(t, 'nginx-t');
  const r = nginxTest({ ...nginxVariables(dir, 18080, upstreams), SB_UPSTREAMS: '' }, dir);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no servers are inside upstream/);
});

// biome-ignore lint/suspicious/noTemplateCurlyInString: the name quotes the template's literal ${SB_*} syntax.
test('deploy/nginx.conf documents every ${SB_*} variable it uses in its header and envsubst line', () => {
  const text = readDeployFile('nginx.conf');
  const used = templateVariables(text);
  assert.deepEqual(used.sort(), ['SB_LISTEN', 'SB_LOG_DIR', 'SB_RUNTIME_DIR', 'SB_UPSTREAMS', 'SB_WORKERS']);
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
    /proxy_read_timeout 3600s;/,
    /proxy_send_timeout 3600s;/,
    /send_timeout 3600s;/,
    /worker_shutdown_timeout \d+s;/,
    /location = \/nginx-health/,
  ])
    assert.match(text, directive);
  // The access log format must not contain the query string ($request, $request_uri, $args): tokens travel there (AU-10).
  const format = /log_format switchboard ([^;]+);/.exec(text)?.[1] ?? '';
  assert.doesNotMatch(format, /\$request\b|\$request_uri|\$args|\$query_string/);
});
