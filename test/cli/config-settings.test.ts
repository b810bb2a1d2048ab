// The explicit settings table (src/cli/config/settings.ts) and the zod schema agree: every leaf of the schema has
// exactly one row and every row a leaf, of the same kind; variables follow the path; the loader finds each row.
// The leaves come from zod's public JSON Schema (z.toJSONSchema), walked by scripts/config-reference.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leafPath, schemaLeaves, type JsonSchema } from '../../scripts/config-reference.ts';
import { envSegments, findByEnv, findByPath } from '../../src/cli/config/lookup.ts';
import { NON_SETTING_VARIABLES } from '../../src/cli/config/non-setting-variables.ts';
import { ENV_PREFIX, SETTING_KINDS, type SettingKind } from '../../src/cli/config/setting.ts';
import { SETTINGS } from '../../src/cli/config/settings.ts';

const SCHEMA_LEAVES = schemaLeaves();
const rowPath = leafPath;

function kindOf(schema: JsonSchema): SettingKind | string {
  const types = schema.anyOf?.map((b) => (b.const !== undefined ? `const:${String(b.const)}` : b.type)).join('|');
  if (types === 'string|null') return SETTING_KINDS.NULLABLE_STRING;
  if (types === 'boolean|const:auto') return SETTING_KINDS.BOOLEAN_OR_AUTO;
  if (types === 'integer|const:auto') return SETTING_KINDS.INTEGER_OR_AUTO;
  if (types === 'object|null') return SETTING_KINDS.JSON_OBJECT;
  if (Array.isArray(schema.enum)) return SETTING_KINDS.ENUM;
  if (schema.type === 'integer') return SETTING_KINDS.INTEGER;
  if (schema.type === 'boolean') return SETTING_KINDS.BOOLEAN;
  if (schema.type === 'string') return SETTING_KINDS.STRING;
  if (schema.type === 'array') return SETTING_KINDS.LIST;
  return `unknown (${JSON.stringify(schema)})`;
}

test('every leaf of the schema has exactly one row in the settings table, and every row is a leaf', () => {
  const rows = SETTINGS.map((s) => rowPath(s));
  assert.equal(new Set(rows).size, rows.length, 'no path has two rows');
  const schemaPaths = SCHEMA_LEAVES.map((l) => l.path);
  assert.deepEqual([...rows].sort(), [...schemaPaths].sort());
  assert.ok(schemaPaths.length > 60, `the walk found the leaves (${schemaPaths.length})`);
});

test('each row has the kind of its schema leaf, so env and flag text is coerced to what the schema checks', () => {
  const byPath = new Map(SCHEMA_LEAVES.map((l) => [l.path, l.schema]));
  for (const setting of SETTINGS) {
    assert.equal(setting.kind, kindOf(byPath.get(rowPath(setting))!), setting.path);
  }
});

test('variables spell the path: SWITCHBOARD_ + levels joined by __, words by _; placeholders line up', () => {
  const envs = new Set<string>();
  for (const setting of SETTINGS) {
    const expected =
      ENV_PREFIX +
      setting.path
        .split('.')
        .map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
        .join('__');
    assert.equal(setting.env, expected, setting.path);
    assert.equal(Object.hasOwn(NON_SETTING_VARIABLES, setting.env), false, `${setting.env} is not also reserved`);
    envs.add(setting.env);
    assert.ok(
      setting.description.length > 10 && setting.description.endsWith('.'),
      `${setting.path} has a sentence of description`,
    );
  }
  assert.equal(envs.size, SETTINGS.length, 'no two rows share a variable');
  const flags = SETTINGS.flatMap((s) => (s.flag === undefined ? [] : [s.flag.name]));
  assert.equal(new Set(flags).size, flags.length, 'no two rows share a flag');
  for (const loaderFlag of ['--config', '--dev', '--set', '--help']) assert.equal(flags.includes(loaderFlag), false);
});

test('the loader finds every row by its variable and by its path, filling record keys in', () => {
  for (const setting of SETTINGS) {
    const segments = envSegments(setting).map((s) => (/^<.+>$/.test(s) ? 'CHAT' : s));
    const expected = setting.path.split('.').map((s) => (/^<.+>$/.test(s) ? 'chat' : s));
    assert.deepEqual(findByEnv(segments), { path: expected, setting }, setting.env);
    const pathSegments = setting.path.split('.').map((s) => (/^<.+>$/.test(s) ? 'Chat' : s));
    assert.deepEqual(findByPath(pathSegments), { path: pathSegments, setting }, setting.path);
  }
  assert.deepEqual(
    findByEnv(['TLS']),
    { path: ['tls'], setting: undefined },
    'an object of settings, given whole as JSON',
  );
  assert.deepEqual(findByPath(['namespaces', 'chat']), { path: ['namespaces', 'chat'], setting: undefined });
  assert.equal(findByEnv(['NAMESPACES', '', 'PRESENCE']), null, 'an empty record key names nothing');
  assert.equal(findByEnv(['PORT', 'X']), null);
  assert.equal(findByPath(['limits', 'max_message_size']), null, 'paths are spelt as in the file');
});
