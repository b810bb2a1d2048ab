// CLI config: loading: defaults (or the dev config) < config file < SWITCHBOARD_* environment < flags, validated by
// the schema; the serve flags and their help text come from the settings table.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { DEV_CONFIG } from './dev-config.ts';
import { envLayer, formatPath, isPlain, Layer, mergeLayer, sourceOf, type Plain } from './layers.ts';
import { AuthConfigSchema, type AuthConfig } from './auth-schema.ts';
import { ServerConfigSchema, type ServerConfig } from './schema.ts';
import { SETTING_KINDS, type Setting } from './setting.ts';
import { SETTINGS } from './settings.ts';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** Settings that have a flag of their own. */
const FLAG_SETTINGS: readonly (Setting & { readonly flag: NonNullable<Setting['flag']> })[] = SETTINGS.filter(
  (s): s is Setting & { readonly flag: NonNullable<Setting['flag']> } => s.flag !== undefined,
);

/** Flags of the loader itself (not settings). */
const LOADER_FLAGS = {
  config: { type: 'string' },
  dev: { type: 'boolean' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagOptions;

const FLAG_OPTIONS: FlagOptions = {
  ...LOADER_FLAGS,
  ...Object.fromEntries(
    FLAG_SETTINGS.map((s) => [
      s.flag.name.slice(2),
      s.kind === SETTING_KINDS.LIST ? { type: 'string', multiple: true } : { type: 'string' },
    ]),
  ),
};

const HELP_WIDTH = 25;
const helpLine = (flag: string, help: string): string => `  ${flag.padEnd(HELP_WIDTH)}${help}`;

/** Flags of `switchboard serve` (and the config flags of `token`), for their help text. */
export const SERVE_FLAGS_HELP = [
  helpLine('--config <file>', 'JSON config file (also SWITCHBOARD_CONFIG)'),
  helpLine('--dev', 'start from the development config (anonymous chat, demo namespaces)'),
  ...FLAG_SETTINGS.map((s) => helpLine(`${s.flag.name} ${s.flag.arg}`, s.flag.help)),
  helpLine('--set <path=value>', 'any setting, e.g. --set limits.maxMessageSize=131072 (repeatable)'),
  '  Environment: SWITCHBOARD_<PATH> with __ between levels, e.g. SWITCHBOARD_AUTH__HS256_SECRET, SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE',
  '  Every setting, its variable and default: docs/configuration.md',
].join('\n');

/**
 * Whether the arguments ask for help, checked before {@link loadConfig} so `--help` works with an invalid or
 * missing configuration.
 * @param argv command-line arguments
 * @returns true when `--help` or `-h` is present (before a `--` terminator)
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Command-line arguments after `serve` (unknown flags are errors). */
  readonly argv?: readonly string[];
  /** The environment. @default {} - pass `process.env` explicitly so tests stay hermetic */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
  /** Flags accepted besides the serve flags (e.g. token's `--sub`); they are returned in `extraFlags`, not applied. */
  readonly extraFlags?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
}

/** The result of {@link loadConfig}. */
export interface LoadedConfig {
  readonly config: ServerConfig;
  /** Where each explicitly set path came from (`config file ...`, env name, `--flag`); defaults are absent. */
  readonly sources: ReadonlyMap<string, string>;
  /** The config file read, if any. */
  readonly configFile: string | undefined;
  /** Whether `--help` was given. */
  readonly help: boolean;
  /** Values of `extraFlags`. */
  readonly extraFlags: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
}

/** The result of {@link loadAuthConfig}: only the `auth` section, validated. */
export type LoadedAuthConfig = Omit<LoadedConfig, 'config'> & { readonly config: { readonly auth: AuthConfig } };

interface Merged {
  readonly merged: Plain;
  readonly sources: Map<string, string>;
  readonly configFile: string | undefined;
  readonly flags: Record<string, unknown>;
}

/** Parses the flags and merges every layer, without validating; unknown variables, flags and paths throw. */
async function mergeLayers(options: LoadConfigOptions): Promise<Merged> {
  const env = options.env ?? {};
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();

  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({
      args: [...(options.argv ?? [])],
      options: { ...FLAG_OPTIONS, ...options.extraFlags },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (cause) {
    throw new ConfigError(
      [{ path: '', message: cause instanceof Error ? cause.message : String(cause), source: 'command line' }],
      { cause },
    );
  }

  const merged: Plain = {};
  if (flags['dev'] === true)
    mergeLayer(merged, structuredClone(DEV_CONFIG) as Plain, 'development defaults', new Map());

  const fileFlag = flags['config'];
  const fileEnv = env['SWITCHBOARD_CONFIG'];
  const configFile =
    typeof fileFlag === 'string'
      ? resolve(cwd, fileFlag)
      : fileEnv !== undefined && fileEnv !== ''
        ? resolve(cwd, fileEnv)
        : undefined;
  if (configFile !== undefined) {
    const source = `config file ${configFile}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(configFile, 'utf8'));
    } catch (cause) {
      const message = cause instanceof SyntaxError ? `invalid JSON: ${cause.message}` : 'cannot read the file';
      throw new ConfigError([{ path: '', message, source }], { cause });
    }
    if (!isPlain(parsed)) throw new ConfigError([{ path: '', message: 'expected a JSON object', source }]);
    mergeLayer(merged, parsed, source, sources);
  }

  const fromEnv = envLayer(env, sources);
  mergeLayer(merged, fromEnv.values, '', new Map());

  const fromFlags = new Layer(sources);
  for (const s of FLAG_SETTINGS) {
    const value = flags[s.flag.name.slice(2)];
    if (Array.isArray(value)) fromFlags.setValue(s.path.split('.'), [...(value as string[])], s.flag.name);
    else if (typeof value === 'string') fromFlags.setText(s.path.split('.'), value, s.flag.name, 'path');
  }
  for (const assignment of (flags['set'] as string[] | undefined) ?? []) {
    const eq = assignment.indexOf('=');
    if (eq < 1) {
      fromFlags.issues.push({ path: assignment, message: 'expected --set path=value', source: '--set' });
      continue;
    }
    fromFlags.setText(
      assignment.slice(0, eq).split('.'),
      assignment.slice(eq + 1),
      `--set ${assignment.slice(0, eq)}`,
      'path',
    );
  }
  // The layers recorded their sources already; merge without overwriting them.
  mergeLayer(merged, fromFlags.values, '', new Map());
  const issues = [...fromEnv.issues, ...fromFlags.issues];
  if (issues.length > 0) throw new ConfigError(issues);
  return { merged, sources, configFile, flags };
}

/** zod's issues as {@link ConfigIssue}s: paths prefixed with `prefix`, messages without zod's boilerplate. */
function issuesOf(
  error: z.ZodError,
  prefix: readonly PropertyKey[],
  sources: ReadonlyMap<string, string>,
): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    let message = issue.message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
    if (issue.code === 'invalid_key') message = `invalid key: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return { path: formatPath(path), message, source: sourceOf(sources, path) };
  });
}

function extraFlagValues(options: LoadConfigOptions, flags: Record<string, unknown>): LoadedConfig['extraFlags'] {
  const extraFlags: Record<string, string | boolean | string[] | boolean[] | undefined> = {};
  for (const name of Object.keys(options.extraFlags ?? {}))
    extraFlags[name] = flags[name] as string | boolean | string[] | boolean[] | undefined;
  return extraFlags;
}

/**
 * Loads the serve configuration: defaults (or {@link DEV_CONFIG} with `--dev`) < the JSON file of `--config` or
 * `SWITCHBOARD_CONFIG` < `SWITCHBOARD_*` variables < flags. In development mode without explicit origins, the page
 * origins of the final port (`http://localhost:<port>`, `http://127.0.0.1:<port>`) are allowed.
 * @param options arguments and environment
 * @returns the validated configuration and where each value came from
 * @throws ConfigError listing every problem with its field path, e.g.
 *   `namespaces.chat.historySize: expected a non-negative integer (from SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE)`
 * @example
 * ```ts
 * const { config } = await loadConfig({ argv: process.argv.slice(3), env: process.env });
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { merged, sources, configFile, flags } = await mergeLayers(options);
  const result = ServerConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(issuesOf(result.error, [], sources));
  let config = result.data;
  if (config.mode === 'development' && !sources.has('origins') && config.origins.length === 0 && config.port !== 0) {
    config = { ...config, origins: [`http://localhost:${config.port}`, `http://127.0.0.1:${config.port}`] };
  }
  return { config, sources, configFile, help: flags['help'] === true, extraFlags: extraFlagValues(options, flags) };
}

/**
 * Loads the same layers as {@link loadConfig} but validates only the `auth` section, for commands that sign or
 * verify tokens (`switchboard token`): serving settings such as TLS, workers or the listen port are not their
 * concern. Unknown variables, flags and fields of `auth` are still errors.
 * @param options arguments and environment
 * @returns the validated `auth` section and where each value came from
 * @throws ConfigError listing every problem with its field path
 */
export async function loadAuthConfig(options: LoadConfigOptions = {}): Promise<LoadedAuthConfig> {
  const { merged, sources, configFile, flags } = await mergeLayers(options);
  const result = AuthConfigSchema.safeParse(merged['auth'] ?? {});
  if (!result.success) throw new ConfigError(issuesOf(result.error, ['auth'], sources));
  return {
    config: { auth: result.data },
    sources,
    configFile,
    help: flags['help'] === true,
    extraFlags: extraFlagValues(options, flags),
  };
}
