// examples/dev.json is `serve --dev` written out: the same settings as DEV_CONFIG, so the file users copy from cannot
// drift from what `npm start` runs. (test/docs/snippets.test.ts starts a server from it.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEV_CONFIG, loadConfig } from '../../src/cli/config.ts';

test('examples/dev.json loads to the same configuration as --dev', async () => {
  const file = JSON.parse(readFileSync(join(process.cwd(), 'examples/dev.json'), 'utf8')) as unknown;
  assert.deepEqual(file, JSON.parse(JSON.stringify(DEV_CONFIG)));
  const fromFile = await loadConfig({ argv: ['--config', 'examples/dev.json'], env: {} });
  const fromFlag = await loadConfig({ argv: ['--dev'], env: {} });
  assert.deepEqual(fromFile.config, fromFlag.config);
});
