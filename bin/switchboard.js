#!/usr/bin/env node
// Entry point. In a checkout (src/ present and tsx installed) it runs the TypeScript source, so the
// CLI never runs a stale build; an installed package (no src/) runs the compiled dist/.
// SWITCHBOARD_USE_DIST=1 forces dist/ (the benchmarks measure the compiled code). It is not a setting: the
// config loader skips the variables listed in NON_SETTING_VARIABLES (src/cli/config/settings.ts); add any new
// launcher variable there too, or `serve` reports it as an unknown setting.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const compiled = join(root, 'dist', 'cli', 'main.js');

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

const tsx = process.env.SWITCHBOARD_USE_DIST === '1' || !existsSync(source) ? null : await loadTsx();
if (tsx !== null) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write('switchboard: no compiled build found; run `npm run build` first\n');
  process.exit(1);
}
