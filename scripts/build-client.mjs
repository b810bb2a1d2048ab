#!/usr/bin/env node
// Bundles the client SDK for browsers with esbuild: dist/browser/switchboard-client.js (ESM, minified, no Node
// built-ins) and dist/browser/switchboard-react.js (the hooks; react stays an import for the app's bundler).
// Usage: node scripts/build-client.mjs [outdir]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const outdir = process.argv[2] ?? 'dist/browser';
const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['src/client/index.ts'], outfile: join(outdir, 'switchboard-client.js') });
await build({
  ...common,
  entryPoints: ['src/client/react.ts'],
  outfile: join(outdir, 'switchboard-react.js'),
  external: ['react'],
});
for (const name of ['switchboard-client.js', 'switchboard-react.js']) {
  const bytes = readFileSync(join(outdir, name));
  console.log(`${join(outdir, name)}: ${bytes.length} bytes, ${gzipSync(bytes).length} gzipped`);
}
