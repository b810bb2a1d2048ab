// The package as a user gets it: `npm pack`, installed into an empty project from the npm cache (no network), runs the
// README's engine snippet with `import ... from 'switchboard'`, type-checks imports of every public entry point, and
// its bin works. Also: every "exports" target exists after the build that `npm ci` runs through "prepare".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { scratchDir } from '../cluster/harness/proxy.ts';
import { fencesOf } from './fences.ts';
import { writeOfflineProject } from './offline-install.ts';

const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  scripts: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

test('npm ci and npm install (also from git) build dist through "prepare"; every "exports" target is built', () => {
  assert.equal(pkg.scripts['prepare'], 'npm run build');
  for (const [entry, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      assert.ok(existsSync(join(ROOT, file)), `exports["${entry}"] points to ${file}, which the build did not write`);
    }
  }
});

test('the packed tarball, installed offline into an empty project, runs the README engine snippet and type-checks', {
  timeout: 110_000,
}, (t) => {
  const dir = scratchDir(t, 'docs-pack');
  // --ignore-scripts: dist is already built (the test above checks it), and a rebuild here would rewrite dist/
  // under the other tests' feet.
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(packed.status, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const needed of [
    'dist/engine/index.js',
    'dist/client/index.d.ts',
    'bin/switchboard.js',
    'README.md',
    'package.json',
  ]) {
    assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'the tarball ships sources or tests');

  const app = join(dir, 'app');
  mkdirSync(app);
  const tarball = join(app, info.filename);
  writeFileSync(tarball, readFileSync(join(dir, info.filename)));
  writeOfflineProject(ROOT, app, tarball);
  const env = { ...process.env, NODE_OPTIONS: '', npm_config_audit: 'false', npm_config_fund: 'false' };
  const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(
    install.status,
    0,
    `npm ci --offline failed (are the dependencies in the npm cache? run npm ci in the repository):\n${install.stdout}${install.stderr}`,
  );

  // The README's engine snippet, unchanged, against the installed package.
  const engine = fencesOf(ROOT, 'README.md').find((f) => f.mode === 'run' && f.code.includes("from 'switchboard';"));
  assert.ok(engine !== undefined, "no README run block imports from 'switchboard'");
  writeFileSync(join(app, 'engine.ts'), engine.code);
  const tsx = import.meta.resolve('tsx');
  const run = spawnSync(process.execPath, ['--import', tsx, 'engine.ts'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, `${engine.where} in the installed package:\n${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /^hello$/m);

  // Types of the public entry points resolve from the installed package.
  writeFileSync(
    join(app, 'types.ts'),
    [
      "import { WebSocketServer, connect, type ServerOptions } from 'switchboard';",
      "import { Client, ClientError, type ClientOptions } from 'switchboard/client';",
      "import { createWebSocket } from 'switchboard/engine';",
      "import { MemoryBroker } from 'switchboard/broker';",
      "import { RealtimeServer } from 'switchboard/realtime';",
      "import { createCodec } from 'switchboard/messages';",
      'const options: ServerOptions = { noServer: true };',
      "const clientOptions: ClientOptions = { url: 'ws://127.0.0.1:8080/ws', transport: (url, protocols) => createWebSocket(url, { protocols: [...protocols] }) };",
      "const n: number = 'not a number'.length;",
      'export const used = [WebSocketServer, connect, Client, ClientError, MemoryBroker, RealtimeServer, createCodec, options, clientOptions, n];',
      '// @ts-expect-error proves the types are real: an unknown option is refused',
      'export const wrong: ServerOptions = { noServer: true, noSuchOption: 1 };',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        lib: ['ES2023', 'DOM'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['types.ts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: app,
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, `type-check of the installed package:\n${tsc.stdout}${tsc.stderr}`);

  // The bin.
  const bin = spawnSync(join(app, 'node_modules/.bin/switchboard'), ['token', '--dev', '--sub', 'alice'], {
    cwd: app,
    env,
    encoding: 'utf8',
  });
  assert.equal(bin.status, 0, bin.stderr);
  assert.match(bin.stdout.trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);
});
