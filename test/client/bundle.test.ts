// The browser bundle of the client SDK (scripts/build-client.mjs): builds, imports no Node built-in, and its size is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

test('the browser bundle builds as ESM and contains no node: import or require', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = spawnSync(process.execPath, ['scripts/build-client.mjs', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  for (const name of ['switchboard-client.js', 'switchboard-react.js']) {
    const code = await readFile(join(dir, name), 'utf8');
    assert.doesNotMatch(code, /["']node:/, `${name} imports a Node built-in`);
    assert.doesNotMatch(code, /\brequire\(\s*["']/, `${name} calls require`);
    assert.match(code, /\bexport\s*\{/, `${name} is ESM`);
    console.log(`# bundle ${name}: ${Buffer.byteLength(code)} bytes, ${gzipSync(code).length} gzipped`);
  }
  const react = await readFile(join(dir, 'switchboard-react.js'), 'utf8');
  assert.match(react, /from\s*"react"/, 'react stays external (a peer dependency)');
});

test('the browser bundle carries no schema library or MessagePack codec: zod, msgpackr and the zod-based modules stay out', async () => {
  const result = await build({
    entryPoints: ['src/client/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('src/messages/server-validator.ts'), 'the shared validator is bundled');
  const heavy = inputs.filter((p) =>
    /node_modules\/(zod|msgpackr)\/|src\/messages\/(schemas|codec|msgpack-scan)\.ts$/.test(p),
  );
  assert.deepEqual(heavy, []);
  // Yjs rides only in the document provider's own entry (switchboard/documents).
  assert.deepEqual(
    inputs.filter((p) => /node_modules\/(yjs|y-protocols|lib0|y-indexeddb)\/|src\/client\/documents\.ts$/.test(p)),
    [],
  );
});
