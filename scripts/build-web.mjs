#!/usr/bin/env node
// Bundles each demo page's script (and the client SDK it imports) with esbuild: web/app.ts (the chat page) into
// web/dist/app.js, and every web/<page>/main.ts into web/dist/<page>/main.js. The HTTP server bundles on the fly when
// esbuild is installed; these prebuilt files serve installs without it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const pages = [{ entry: 'web/app.ts', out: 'web/dist/app.js' }];
for (const entry of readdirSync('web', { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name === 'dist' || !/^[a-z][a-z0-9-]{0,31}$/.test(entry.name)) continue;
  const main = join('web', entry.name, 'main.ts');
  if (existsSync(main)) pages.push({ entry: main, out: join('web', 'dist', entry.name, 'main.js') });
}
for (const page of pages) {
  await build({
    entryPoints: [page.entry],
    bundle: true,
    outfile: page.out,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  console.log(`${page.out} written`);
}
