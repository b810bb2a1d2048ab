#!/usr/bin/env node
// Bundles the chat page script (web/app.ts and the client SDK it imports) into web/dist/app.js with esbuild.
// The HTTP server bundles on the fly when esbuild is installed; this prebuilt file serves installs without it.
import { build } from 'esbuild';

await build({
  entryPoints: ['web/app.ts'],
  bundle: true,
  outfile: 'web/dist/app.js',
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log('web/dist/app.js written');
