// docs/configuration.md, rendered from the settings table (src/cli/config/settings.ts) and the zod schema's public
// JSON Schema (types, ranges, defaults). Written by scripts/gen-config-docs.mjs; test/cli/config-docs.test.ts fails
// when the committed file differs from what this renders.
import { z } from 'zod';
import { ServerSettingsSchema } from '../src/cli/config/schema.ts';
import { NON_SETTING_VARIABLES } from '../src/cli/config/non-setting-variables.ts';
import { ENV_PREFIX, SETTING_KINDS, type Setting } from '../src/cli/config/setting.ts';
import { SETTINGS } from '../src/cli/config/settings.ts';

/** The part of JSON Schema that zod emits for this schema and the reference reads. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
}

/** Stands for a record key (namespace or role name) in a leaf path. */
export const RECORD_KEY = '*';

/**
 * The leaves of the configuration's JSON Schema: a record's values appear under {@link RECORD_KEY}
 * (`namespaces.*.historySize`), a nullable object's fields as its own (`tls.certFile`).
 * @returns each leaf's dotted path and schema
 */
export function schemaLeaves(
  node: JsonSchema = z.toJSONSchema(ServerSettingsSchema, { io: 'input' }) as JsonSchema,
  path: string[] = [],
): { path: string; schema: JsonSchema }[] {
  if (node.properties !== undefined)
    return Object.entries(node.properties).flatMap(([key, child]) => schemaLeaves(child, [...path, key]));
  if (node.type === 'object' && typeof node.additionalProperties === 'object')
    return schemaLeaves(node.additionalProperties, [...path, RECORD_KEY]);
  const objectBranch = node.anyOf?.find((branch) => branch.properties !== undefined);
  if (objectBranch !== undefined && node.anyOf!.every((branch) => branch === objectBranch || branch.type === 'null'))
    return schemaLeaves(objectBranch, path);
  return [{ path: path.join('.'), schema: node }];
}

/** A row's path with its placeholders as {@link RECORD_KEY}. */
export function leafPath(setting: Setting): string {
  return setting.path
    .split('.')
    .map((s) => (/^<.+>$/.test(s) ? RECORD_KEY : s))
    .join('.');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => `\`${text}\``;

function typeOf(setting: Setting, schema: JsonSchema): string {
  switch (setting.kind) {
    case SETTING_KINDS.INTEGER: {
      const min = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : schema.minimum;
      const max = schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : undefined;
      return `integer${min === undefined ? '' : ` ≥ ${min}`}${max === undefined ? '' : `, ≤ ${max}`}`;
    }
    case SETTING_KINDS.INTEGER_OR_AUTO: {
      const integer = schema.anyOf?.find((branch) => branch.type === 'integer') ?? {};
      return `${typeOf({ ...setting, kind: SETTING_KINDS.INTEGER }, integer)}, or \`auto\``;
    }
    case SETTING_KINDS.ENUM:
      return `one of ${(schema.enum ?? []).map((v) => code(String(v))).join(', ')}`;
    case SETTING_KINDS.LIST:
      return 'list';
    default:
      return setting.kind;
  }
}

function defaultOf(setting: Setting, schema: JsonSchema): string {
  if (setting.defaultText !== undefined) return setting.defaultText;
  if (schema.default === undefined) return 'unset';
  return code(JSON.stringify(schema.default));
}

/** Title of the section a setting is listed in: its top-level object, or the top level for plain settings. */
function section(path: string): string {
  const segments = path.split('.');
  return segments.length === 1 ? 'Top level' : code(segments[0]!);
}

/**
 * Renders docs/configuration.md.
 * @returns the Markdown text
 */
export function renderConfigReference(): string {
  const leaves = new Map(schemaLeaves().map((l) => [l.path, l.schema]));
  const lines: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/cli/config/settings.ts and the schema in src/cli/config/schema.ts by',
    '     `node scripts/gen-config-docs.mjs`; edit those, not this file. -->',
    '',
    '`switchboard serve` takes its settings from, lowest first: the defaults below (or the development configuration',
    'with `--dev`), a JSON file (`--config <file>` or `SWITCHBOARD_CONFIG`), `SWITCHBOARD_*` environment variables, then',
    'flags. Every setting has a path in the file, a variable, and can be given with `--set <path>=<value>`; a few have a',
    'flag of their own. `switchboard token` reads the same layers but only the `auth` section. A misspelt field, variable or',
    'path is an error naming it and where it came from (`serve` exits with code 2), never ignored. docs/serve.md describes the',
    'server itself.',
    '',
    '```',
    'SWITCHBOARD_PORT=9000 SWITCHBOARD_LOG__LEVEL=debug switchboard serve --config prod.json --set limits.maxMessageSize=131072',
    '```',
    '',
    '## Values from variables and flags',
    '',
    '- Variables: `SWITCHBOARD_` and the path, levels separated by `__` and words by `_`: `auth.hs256Secret` is',
    '  `SWITCHBOARD_AUTH__HS256_SECRET`.',
    '- `<namespace>` and `<role>` stand for a name of your choice: `SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE=50` or',
    '  `--set namespaces.chat.historySize=50`. A name in a variable is lower-cased; in a path it is kept as written.',
    '- integer: decimal digits. boolean: `true`/`1` or `false`/`0`. list: comma-separated (`a,b`) or a JSON array',
    '  (`["a","b"]`); repeatable flags give one item each. string or null: the text, or `null`. JSON object or null:',
    '  JSON text (`{"type":"object"}`), or `null`; in a file, the object itself.',
    '- An object of settings can also be given whole as JSON, or `null` where the schema allows it:',
    '  `SWITCHBOARD_TLS=\'{"certFile":"cert.pem","keyFile":"key.pem"}\'`, `--set tls=null`.',
    '- Ranges and formats are checked after merging; the error names the path and where the value came from.',
  ];
  const sections = new Map<string, string[]>();
  for (const setting of SETTINGS) {
    const schema = leaves.get(leafPath(setting));
    if (schema === undefined) throw new Error(`${setting.path} is not in the schema`);
    const flag = setting.flag === undefined ? '' : code(`${setting.flag.name} ${setting.flag.arg}`);
    const row = `| ${code(setting.path)} | ${code(setting.env)} | ${flag} | ${cell(typeOf(setting, schema))} | ${cell(defaultOf(setting, schema))} | ${cell(setting.description)} |`;
    const title = section(setting.path);
    sections.set(title, [...(sections.get(title) ?? []), row]);
  }
  for (const [title, rows] of sections) {
    lines.push(
      '',
      `## ${title}`,
      '',
      '| Setting | Variable | Flag | Type | Default | Description |',
      '|---|---|---|---|---|---|',
      ...rows,
    );
  }
  lines.push(
    '',
    '## Command-line flags that are not settings',
    '',
    '| Flag | Meaning |',
    '|---|---|',
    '| `--config <file>` | the JSON config file (also `SWITCHBOARD_CONFIG`; the flag wins) |',
    '| `--dev` | start from the development configuration: anonymous chat, demo namespaces `chat`, `feed`, `doc`, plain HTTP on 127.0.0.1:8080, a public development secret |',
    '| `--set <path>=<value>` | any setting by its path (repeatable) |',
    "| `--help`, `-h` | the command's help; printed before any configuration is read |",
    '',
    `## ${code(`${ENV_PREFIX}*`)} variables that are not settings`,
    '',
    'These are read by the launcher, clients or diagnostics; the configuration loader skips them.',
    '',
    '| Variable | Meaning |',
    '|---|---|',
    ...Object.entries(NON_SETTING_VARIABLES).map(([name, meaning]) => `| ${code(name)} | ${cell(meaning)} |`),
    '',
  );
  return lines.join('\n');
}
