// Tests of src/cli/config.ts: precedence (defaults < file < env < flags), errors naming the field, DEV_CONFIG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authOptionsFrom,
  ConfigError,
  DEV_CONFIG,
  DEV_SECRET,
  listeningUrls,
  loadAuthConfig,
  loadConfig,
  NON_SETTING_VARIABLES,
  ServerConfigSchema,
  signingKeyFrom,
  wantsHelp,
} from '../../src/cli/config.ts';
import { proxyOptionsFrom } from '../../src/cli/proxy.ts';
import { createAuthenticator, createNamespaces, signToken } from '../../src/realtime/index.ts';

const SECRET = 'x'.repeat(32);
const BASE_ENV = { SWITCHBOARD_AUTH__HS256_SECRET: SECRET, SWITCHBOARD_ALLOW_PLAINTEXT: 'true' };

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadConfig to reject');
}

test('defaults apply when only the required settings are given', async () => {
  const { config, sources } = await loadConfig({ env: BASE_ENV });
  assert.equal(config.mode, 'production');
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.paths.ws, '/ws');
  assert.equal(config.limits.maxMessageSize, 65_536);
  assert.equal(config.auth.maxTokenBytes, 8192);
  assert.equal(config.auth.anonymous.enabled, false);
  assert.equal(config.broker.url, 'memory:');
  assert.deepEqual(config.origins, []);
  assert.deepEqual(config.roles['admin'], ['*']);
  assert.equal(sources.get('auth.hs256Secret'), 'SWITCHBOARD_AUTH__HS256_SECRET');
  assert.equal(sources.has('port'), false);
});

test('precedence: defaults < config file < SWITCHBOARD_* environment < flags', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      port: 1111,
      host: '0.0.0.0',
      log: { level: 'warn' },
      allowPlaintext: true,
      auth: { hs256Secret: SECRET },
      namespaces: { chat: { historySize: 10, recoverOnJoin: 5 } },
      origins: ['https://file.example'],
    }),
  );
  const fileOnly = await loadConfig({ argv: ['--config', file] });
  assert.equal(fileOnly.config.port, 1111);
  assert.equal(fileOnly.config.log.level, 'warn');
  assert.equal(fileOnly.config.log.pretty, 'auto', 'defaults fill what the file omits');
  assert.equal(fileOnly.config.namespaces['chat']?.historyTtlMs, 86_400_000, 'namespace defaults too');
  assert.equal(fileOnly.sources.get('port'), `config file ${file}`);

  const env = {
    SWITCHBOARD_PORT: '2222',
    SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE: '50',
    SWITCHBOARD_ORIGINS: 'https://a.example, https://b.example',
  };
  const withEnv = await loadConfig({ argv: ['--config', file], env });
  assert.equal(withEnv.config.port, 2222);
  assert.equal(withEnv.config.host, '0.0.0.0', 'untouched file values survive');
  assert.equal(withEnv.config.namespaces['chat']?.historySize, 50);
  assert.equal(withEnv.config.namespaces['chat']?.recoverOnJoin, 5, 'env merges into the file object, not over it');
  assert.deepEqual(withEnv.config.origins, ['https://a.example', 'https://b.example']);

  const withFlags = await loadConfig({
    argv: [
      '--config',
      file,
      '--port',
      '3333',
      '--log-level',
      'debug',
      '--origin',
      'https://c.example',
      '--set',
      'limits.maxMessageSize=1024',
      '--set',
      'namespaces.chat.presence=false',
    ],
    env,
  });
  assert.equal(withFlags.config.port, 3333);
  assert.equal(withFlags.config.log.level, 'debug');
  assert.deepEqual(withFlags.config.origins, ['https://c.example']);
  assert.equal(withFlags.config.limits.maxMessageSize, 1024);
  assert.equal(withFlags.config.namespaces['chat']?.presence, false);
  assert.equal(withFlags.sources.get('port'), '--port');
  assert.equal(withFlags.sources.get('limits.maxMessageSize'), '--set limits.maxMessageSize');

  const viaEnvPath = await loadConfig({ env: { SWITCHBOARD_CONFIG: file } });
  assert.equal(viaEnvPath.config.port, 1111);
  assert.equal(viaEnvPath.configFile, file);
});

test('errors name the bad field path and where the value came from', async (t) => {
  const e1 = await configError(loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE: '-5' } }));
  assert.deepEqual(e1.issues, [
    {
      path: 'namespaces.chat.historySize',
      message: 'expected a non-negative integer',
      source: 'SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE',
    },
  ]);
  assert.match(
    e1.message,
    /namespaces\.chat\.historySize: expected a non-negative integer \(from SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE\)/,
  );

  const dir = tempDir(t);
  const file = join(dir, 'bad.json');
  writeFileSync(
    file,
    JSON.stringify({
      allowPlaintext: true,
      auth: { hs256Secret: 'short' },
      port: 'eighty',
      limits: { maxConnections: 0 },
      namespaces: { chat: { histroySize: 3, slowConsumerPolicy: 'explode' }, 'bad name': {} },
      origins: ['https://*.example.com', 'https://ok.example/path'],
    }),
  );
  const e2 = await configError(loadConfig({ argv: ['--config', file] }));
  const byPath = new Map(e2.issues.map((i) => [i.path, i.message]));
  assert.equal(byPath.get('auth.hs256Secret'), 'expected at least 32 bytes (RFC 7518 §3.2)');
  assert.equal(byPath.get('port'), 'expected a non-negative integer');
  assert.equal(byPath.get('limits.maxConnections'), 'expected a positive integer');
  assert.equal(byPath.get('namespaces.chat'), 'unknown field "histroySize"');
  assert.equal(e2.issues.find((i) => i.path === 'namespaces.chat')?.source, `config file ${file}`);
  assert.equal(byPath.get('namespaces.chat.slowConsumerPolicy'), 'expected "drop", "close" or "wait"');
  assert.match(byPath.get('namespaces.bad name') ?? byPath.get('namespaces') ?? '', /namespace name/);
  assert.match(byPath.get('origins[0]') ?? '', /expected an origin/);
  assert.match(byPath.get('origins[1]') ?? '', /expected an origin/);
  assert.equal(e2.issues.find((i) => i.path === 'port')?.source, `config file ${file}`);

  const e3 = await configError(loadConfig({ argv: ['--port', '70000'], env: BASE_ENV }));
  assert.deepEqual(
    e3.issues.map((i) => [i.path, i.source]),
    [['port', '--port']],
  );
  assert.match(e3.issues[0]!.message, /at most 65535/);
});

test('configured roles are added to the default roles; namespace role lists come from the environment', async () => {
  const { config } = await loadConfig({
    env: {
      ...BASE_ENV,
      SWITCHBOARD_ROLES__EDITOR: 'subscribe,publish',
      SWITCHBOARD_ROLES__ANONYMOUS: '[]',
      SWITCHBOARD_NAMESPACES__DOC__ROLES__PUBLISH: 'editor,admin',
    },
  });
  assert.deepEqual(config.roles['editor'], ['subscribe', 'publish']);
  assert.deepEqual(config.roles['admin'], ['*'], 'defaults kept');
  assert.deepEqual(config.roles['anonymous'], [], 'a default role can be emptied');
  assert.deepEqual(config.namespaces['doc']?.roles.publish, ['editor', 'admin']);
  const bad = await configError(loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_ROLES__EDITOR: 'subscribe,destroy' } }));
  assert.deepEqual(
    bad.issues.map((i) => [i.path, i.source]),
    [['roles.editor[1]', 'SWITCHBOARD_ROLES__EDITOR']],
  );
});

test('documentFanoutBatchMs takes a number or auto from the environment, and nothing else', async () => {
  const setting = 'SWITCHBOARD_NAMESPACES__DOC__DOCUMENT_FANOUT_BATCH_MS';
  for (const [text, value] of [
    ['auto', 'auto'],
    ['10', 10],
    ['0', 0],
  ] as const) {
    const { config } = await loadConfig({ env: { ...BASE_ENV, [setting]: text } });
    assert.equal(config.namespaces['doc']?.documentFanoutBatchMs, value, text);
  }
  const bad = await configError(loadConfig({ env: { ...BASE_ENV, [setting]: 'often' } }));
  assert.deepEqual(
    bad.issues.map((i) => [i.path, i.source]),
    [['namespaces.doc.documentFanoutBatchMs', setting]],
  );
});

test('unknown settings, flags, reserved keys and unreadable files are errors', async (t) => {
  assert.deepEqual((await configError(loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_PROT: '1' } }))).issues, [
    { path: 'PROT', message: 'unknown setting', source: 'SWITCHBOARD_PROT' },
  ]);
  assert.equal(
    (await configError(loadConfig({ argv: ['--prot', '1'], env: BASE_ENV }))).issues[0]?.source,
    'command line',
  );
  assert.equal(
    (await configError(loadConfig({ argv: ['--set', 'nonsense'], env: BASE_ENV }))).issues[0]?.message,
    'expected --set path=value',
  );
  const dir = tempDir(t);
  const polluted = join(dir, 'p.json');
  writeFileSync(polluted, '{"__proto__":{"polluted":true},"allowPlaintext":true}');
  assert.deepEqual(
    (await configError(loadConfig({ argv: ['--config', polluted], env: BASE_ENV }))).issues.map((i) => i.message),
    ['reserved key'],
  );
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const invalid = join(dir, 'i.json');
  writeFileSync(invalid, '{ not json');
  assert.match(
    (await configError(loadConfig({ argv: ['--config', invalid] }))).issues[0]?.message ?? '',
    /invalid JSON/,
  );
  assert.match(
    (await configError(loadConfig({ argv: ['--config', join(dir, 'missing.json')] }))).issues[0]?.message ?? '',
    /cannot read/,
  );
  const array = join(dir, 'a.json');
  writeFileSync(array, '[]');
  assert.equal(
    (await configError(loadConfig({ argv: ['--config', array] }))).issues[0]?.message,
    'expected a JSON object',
  );
});

test('AU-14: production refuses a plaintext listener unless allowPlaintext; auth needs a key or anonymous', async () => {
  const e = await configError(loadConfig({ env: { SWITCHBOARD_AUTH__HS256_SECRET: SECRET } }));
  assert.deepEqual(
    e.issues.map((i) => i.path),
    ['tls'],
  );
  const noKey = await configError(loadConfig({ env: { SWITCHBOARD_ALLOW_PLAINTEXT: '1' } }));
  assert.deepEqual(
    noKey.issues.map((i) => i.path),
    ['auth'],
  );
  const anon = await loadConfig({
    env: { SWITCHBOARD_ALLOW_PLAINTEXT: '1', SWITCHBOARD_AUTH__ANONYMOUS__ENABLED: 'true' },
  });
  assert.equal(anon.config.auth.anonymous.enabled, true);
  const tls = await loadConfig({
    env: { SWITCHBOARD_AUTH__HS256_SECRET: SECRET, SWITCHBOARD_TLS: '{"certFile":"c.pem","keyFile":"k.pem"}' },
  });
  assert.deepEqual(tls.config.tls, { certFile: 'c.pem', keyFile: 'k.pem' });
});

test('DEV_CONFIG: anonymous chat, demo namespaces chat/feed/doc, origins of the chosen port', async () => {
  const { config } = await loadConfig({ argv: ['--dev'] });
  assert.equal(config.mode, 'development');
  assert.equal(config.auth.anonymous.enabled, true);
  assert.deepEqual(Object.keys(config.namespaces).sort(), ['chat', 'doc', 'feed']);
  assert.equal(config.namespaces['chat']?.historySize, 100);
  assert.equal(config.namespaces['chat']?.recoverOnJoin, 20);
  assert.equal(config.namespaces['feed']?.allowClientPublish, false);
  assert.ok(config.roles['anonymous']?.includes('publish'), 'anonymous users may chat');
  assert.deepEqual(config.origins, ['http://localhost:8080', 'http://127.0.0.1:8080']);
  assert.deepEqual(listeningUrls(config, 8080), { http: 'http://127.0.0.1:8080/', ws: 'ws://127.0.0.1:8080/ws' });
  const moved = await loadConfig({ argv: ['--dev', '--port', '9000'] });
  assert.deepEqual(moved.config.origins, ['http://localhost:9000', 'http://127.0.0.1:9000']);
  const explicit = await loadConfig({ argv: ['--dev', '--origin', 'https://x.example'] });
  assert.deepEqual(explicit.config.origins, ['https://x.example']);
  assert.equal(ServerConfigSchema.safeParse(DEV_CONFIG).success, true, 'DEV_CONFIG itself validates');
  // The namespaces it produces are what the realtime layer consumes.
  assert.deepEqual(createNamespaces(config.namespaces).names().sort(), ['chat', 'doc', 'feed', 'user']);
});

test('authOptionsFrom and signingKeyFrom turn the config into working keys', async (t) => {
  const { config } = await loadConfig({ argv: ['--dev'] });
  const auth = await createAuthenticator(await authOptionsFrom(config));
  const key = await signingKeyFrom(config);
  assert.deepEqual(key, { type: 'secret', secret: DEV_SECRET });
  const token = await signToken({ sub: 'alice', roles: ['admin'], ttlMs: 60_000 }, key!);
  const result = await auth.authenticate(token);
  assert.ok(result.ok && result.identity.user === 'alice', 'the dev server accepts a dev token');
  assert.equal(auth.allowsAnonymous, true);

  const dir = tempDir(t);
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  const fromFile = await loadConfig({
    env: { SWITCHBOARD_ALLOW_PLAINTEXT: 'true', SWITCHBOARD_AUTH__HS256_SECRET_FILE: join(dir, 'secret') },
  });
  assert.deepEqual(await signingKeyFrom(fromFile.config), { type: 'secret', secret: SECRET });
  const missing = await loadConfig({
    env: { SWITCHBOARD_ALLOW_PLAINTEXT: 'true', SWITCHBOARD_AUTH__PUBLIC_KEY_FILE: join(dir, 'nope.pem') },
  });
  assert.equal(await signingKeyFrom(missing.config), null);
  await assert.rejects(authOptionsFrom(missing.config), ConfigError);
});

test('ConfigError carries ERR_CONFIG, listed in docs/errors.md (docs/architecture.md, Conventions), and never echoes a secret', async () => {
  const { readFileSync } = await import('node:fs');
  assert.ok(readFileSync('docs/errors.md', 'utf8').includes('`ERR_CONFIG`'), 'ERR_CONFIG is documented');
  const e = await configError(
    loadConfig({ env: { SWITCHBOARD_ALLOW_PLAINTEXT: 'true', SWITCHBOARD_AUTH__HS256_SECRET: 'TOPSECRET-but-short' } }),
  );
  assert.equal(e.code, 'ERR_CONFIG');
  assert.equal(e.name, 'ConfigError');
  assert.equal(e.message.includes('TOPSECRET'), false);
});

test('wantsHelp finds --help or -h before a -- terminator', () => {
  assert.equal(wantsHelp(['--port', '1', '--help']), true);
  assert.equal(wantsHelp(['-h']), true);
  assert.equal(wantsHelp(['--', '--help']), false);
  assert.equal(wantsHelp(['--port', '1']), false);
});

test('trustedProxies: from --trust-proxy or SWITCHBOARD_TRUSTED_PROXIES; entries that are not addresses or ranges are named', async () => {
  const fromFlags = await loadConfig({
    argv: ['--trust-proxy', '127.0.0.1', '--trust-proxy', '10.0.0.0/8'],
    env: BASE_ENV,
  });
  assert.deepEqual(fromFlags.config.trustedProxies, ['127.0.0.1', '10.0.0.0/8']);
  assert.equal(fromFlags.sources.get('trustedProxies'), '--trust-proxy');
  const fromEnv = await loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_TRUSTED_PROXIES: '::1, fd00::/8' } });
  assert.deepEqual(fromEnv.config.trustedProxies, ['::1', 'fd00::/8']);
  assert.deepEqual((await loadConfig({ env: BASE_ENV })).config.trustedProxies, [], 'off by default');
  const bad = await configError(
    loadConfig({ argv: ['--trust-proxy', 'nginx', '--trust-proxy', '10.0.0.0/40'], env: BASE_ENV }),
  );
  assert.deepEqual(
    bad.issues.map((i) => i.path),
    ['trustedProxies[0]', 'trustedProxies[1]'],
  );
  assert.match(bad.issues[0]!.message, /IP address or CIDR range/);
});

test('variables that are not settings (launcher, client, diagnostics) are ignored; unknown ones are named, with a suggestion', async () => {
  const { config } = await loadConfig({
    env: {
      ...BASE_ENV,
      SWITCHBOARD_USE_DIST: '1',
      SWITCHBOARD_TOKEN: 'x.y.z',
      SWITCHBOARD_STREAM_WRITES: '1',
      SWITCHBOARD_TEST_IMPL: 'ws',
      SWITCHBOARD_PROXY_SECRET: 'read by serve, not a setting',
    },
  });
  assert.equal(config.port, 8080);
  assert.deepEqual(Object.keys(NON_SETTING_VARIABLES).sort(), [
    'SWITCHBOARD_API_KEY',
    'SWITCHBOARD_CONFIG',
    'SWITCHBOARD_PROXY_SECRET',
    'SWITCHBOARD_STREAM_WRITES',
    'SWITCHBOARD_TEST_IMPL',
    'SWITCHBOARD_TOKEN',
    'SWITCHBOARD_URL',
    'SWITCHBOARD_USE_DIST',
  ]);
  assert.deepEqual((await configError(loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_FOO: '1' } }))).issues, [
    { path: 'FOO', message: 'unknown setting', source: 'SWITCHBOARD_FOO' },
  ]);
  assert.deepEqual(
    (await configError(loadConfig({ argv: ['--set', 'limits.max_message_size=5'], env: BASE_ENV }))).issues,
    [
      {
        path: 'limits.max_message_size',
        message: 'unknown setting (did you mean limits.maxMessageSize?)',
        source: '--set limits.max_message_size',
      },
    ],
  );
  const record = await configError(
    loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_NAMESPACES__CHAT__HISTORYSIZE: '5' } }),
  );
  assert.equal(record.issues[0]?.message, 'unknown setting (did you mean SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE?)');
});

test('an object of settings can be given whole as JSON, or null; tls from two variables', async () => {
  const { config } = await loadConfig({
    env: {
      ...BASE_ENV,
      SWITCHBOARD_LIMITS: '{"maxConnections":7}',
      SWITCHBOARD_NAMESPACES__CHAT: '{"historySize":3,"recoverOnJoin":2}',
    },
  });
  assert.equal(config.limits.maxConnections, 7);
  assert.equal(config.limits.maxMessageSize, 65_536, 'the rest keeps its defaults');
  assert.equal(config.namespaces['chat']?.historySize, 3);
  const tls = await loadConfig({
    env: {
      SWITCHBOARD_AUTH__HS256_SECRET: SECRET,
      SWITCHBOARD_TLS__CERT_FILE: 'c.pem',
      SWITCHBOARD_TLS__KEY_FILE: 'k.pem',
    },
  });
  assert.deepEqual(tls.config.tls, { certFile: 'c.pem', keyFile: 'k.pem' });
  const half = await configError(
    loadConfig({ env: { SWITCHBOARD_AUTH__HS256_SECRET: SECRET, SWITCHBOARD_TLS__CERT_FILE: 'c.pem' } }),
  );
  assert.deepEqual(
    half.issues.map((i) => i.path),
    ['tls.keyFile'],
  );
  const off = await loadConfig({
    argv: ['--set', 'tls=null', '--set', 'auth.infoClaim=null'],
    env: { ...BASE_ENV, SWITCHBOARD_TLS: '{"certFile":"c.pem","keyFile":"k.pem"}' },
  });
  assert.equal(off.config.tls, null);
  assert.equal(off.config.auth.infoClaim, null);
  const notJson = await configError(loadConfig({ env: { ...BASE_ENV, SWITCHBOARD_LIMITS: '{nope' } }));
  assert.deepEqual(
    notJson.issues.map((i) => [i.path, i.source]),
    [['limits', 'SWITCHBOARD_LIMITS']],
  );
});

test('loadAuthConfig validates only the auth section: serving settings (TLS, workers) do not matter to token signing', async () => {
  const loaded = await loadAuthConfig({ env: { SWITCHBOARD_AUTH__HS256_SECRET: SECRET, SWITCHBOARD_WORKERS: '4' } });
  assert.equal(loaded.config.auth.hs256Secret, SECRET);
  assert.equal(loaded.config.auth.rolesClaim, 'roles', 'auth defaults apply');
  assert.deepEqual(await signingKeyFrom(loaded.config), { type: 'secret', secret: SECRET });
  const both = await configError(
    loadAuthConfig({ env: { SWITCHBOARD_AUTH__HS256_SECRET: SECRET, SWITCHBOARD_AUTH__HS256_SECRET_FILE: '/s' } }),
  );
  assert.deepEqual(
    both.issues.map((i) => [i.path, i.source]),
    [['auth.hs256SecretFile', 'SWITCHBOARD_AUTH__HS256_SECRET_FILE']],
  );
  assert.equal(
    (await configError(loadAuthConfig({ env: { SWITCHBOARD_AUTH__MAX_TOKEN_BYTES: '0' } }))).issues[0]?.path,
    'auth.maxTokenBytes',
  );
  assert.equal(
    (await configError(loadAuthConfig({ env: { SWITCHBOARD_PROT: '1' } }))).issues[0]?.message,
    'unknown setting',
    'unknown variables are still errors',
  );
  const served = await configError(
    loadConfig({
      env: {
        SWITCHBOARD_AUTH__HS256_SECRET: SECRET,
        SWITCHBOARD_ALLOW_PLAINTEXT: '1',
        SWITCHBOARD_AUTH__HS256_SECRET_FILE: '/s',
      },
    }),
  );
  assert.deepEqual(
    served.issues.map((i) => i.path),
    ['auth.hs256SecretFile'],
    'serve keeps the check',
  );
});

test('proxy pipelining: defaults, from the environment into the proxy options, and bad values named', async () => {
  const defaults = (await loadConfig({ env: BASE_ENV })).config.proxy;
  assert.equal(defaults.pipelining, 8);
  assert.deepEqual(defaults.pipelinedKinds, ['connect', 'refresh', 'subscribe']);
  const { config } = await loadConfig({
    env: {
      ...BASE_ENV,
      SWITCHBOARD_PROXY__PUBLISH: 'http://127.0.0.1:3001/publish',
      SWITCHBOARD_PROXY__PIPELINING: '4',
      SWITCHBOARD_PROXY__PIPELINED_KINDS: 'subscribe,publish',
    },
  });
  const options = proxyOptionsFrom(config.proxy, {});
  assert.equal(options?.pipelining, 4);
  assert.deepEqual(options?.pipelinedKinds, ['subscribe', 'publish']);
  const bad = await configError(
    loadConfig({
      env: { ...BASE_ENV, SWITCHBOARD_PROXY__PIPELINING: '0', SWITCHBOARD_PROXY__PIPELINED_KINDS: 'publish,delete' },
    }),
  );
  assert.deepEqual(
    bad.issues.map((i) => i.path),
    ['proxy.pipelining', 'proxy.pipelinedKinds[1]'],
  );
});
