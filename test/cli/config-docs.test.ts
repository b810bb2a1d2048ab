// docs/configuration.md is generated: it must be what scripts/config-reference.ts renders from the settings table
// and the schema today, so a new or changed setting cannot leave the reference behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigReference } from '../../scripts/config-reference.ts';
import { SETTINGS } from '../../src/cli/config/settings.ts';

test('docs/configuration.md is up to date (else run node scripts/gen-config-docs.mjs)', () => {
  const committed = readFileSync('docs/configuration.md', 'utf8');
  assert.ok(
    committed === renderConfigReference(),
    'docs/configuration.md differs from the settings table and schema: run node scripts/gen-config-docs.mjs',
  );
});

test('the reference lists every setting with its variable, flag, type and default from the schema', () => {
  const text = renderConfigReference();
  for (const setting of SETTINGS) {
    const row = text.split('\n').find((line) => line.startsWith(`| \`${setting.path}\` |`));
    assert.ok(row !== undefined, `${setting.path} has a row`);
    assert.ok(row.includes(`\`${setting.env}\``), `${setting.path}: variable`);
    if (setting.flag !== undefined) assert.ok(row.includes(`\`${setting.flag.name} `), `${setting.path}: flag`);
  }
  assert.match(text, /\| `port` \| `SWITCHBOARD_PORT` \| `--port <n>` \| integer ≥ 0, ≤ 65535 \| `8080` \|/);
  assert.match(
    text,
    /\| `log\.level` \| `SWITCHBOARD_LOG__LEVEL` \| `--log-level <level>` \| one of `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent` \| `"info"` \|/,
  );
  assert.match(
    text,
    /\| `roles\.<role>` \|.*\| admin: \*; moderator: subscribe, publish, history, presence, typing, send, delete, rpc; user: subscribe, publish, history, presence, typing, send, rpc; anonymous: subscribe, history, presence \|/,
  );
  assert.match(text, /\| `SWITCHBOARD_USE_DIST` \|/, 'the variables that are not settings are listed');
});

test('the generator script writes the same text', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, cpSync, rmSync, mkdirSync, symlinkSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const { tmpdir } = await import('node:os');
  // A copy of the scripts and sources, so the run does not rewrite the checkout's docs/ under a concurrent test.
  const root = mkdtempSync(join(tmpdir(), 'sb-gen-docs-'));
  try {
    for (const dir of ['scripts', 'src']) cpSync(dir, join(root, dir), { recursive: true });
    mkdirSync(join(root, 'docs'));
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    cpSync('package.json', join(root, 'package.json'));
    const r = spawnSync(process.execPath, ['scripts/gen-config-docs.mjs'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8'), renderConfigReference());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
