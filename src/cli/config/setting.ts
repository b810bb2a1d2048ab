// CLI config: what one row of the settings table is (path in the file, environment variable, flag, kind,
// description), the kinds of text a variable or flag holds, and the builder the tables in settings/ use.

/** How a text value from the environment or a flag becomes the setting's value. */
export const SETTING_KINDS = {
  /** A number: `9000`. */
  INTEGER: 'integer',
  /** `true`/`1` or `false`/`0`. */
  BOOLEAN: 'boolean',
  /** The text as given. */
  STRING: 'string',
  /** The text as given; `null` for null. */
  NULLABLE_STRING: 'string or null',
  /** One of the schema's listed values. */
  ENUM: 'enum',
  /** Comma-separated (`a,b`) or a JSON array (`["a","b"]`). */
  LIST: 'list',
  /** `true`, `false` or `auto`. */
  BOOLEAN_OR_AUTO: 'true, false or auto',
  /** A number (`10`) or `auto`. */
  INTEGER_OR_AUTO: 'integer or auto',
  /** A JSON object (`{"type":"object"}`), or `null`. */
  JSON_OBJECT: 'JSON object or null',
} as const;
export type SettingKind = (typeof SETTING_KINDS)[keyof typeof SETTING_KINDS];

/** A command-line flag that sets one setting (every setting can also be set with `--set path=value`). */
export interface SettingFlag {
  /** `--port` */
  readonly name: string;
  /** Placeholder shown in the help: `<n>`. */
  readonly arg: string;
  /** One line for `serve --help`. */
  readonly help: string;
}

/** One setting. Paths and variables may hold a placeholder (`<namespace>`, `<NAMESPACE>`) standing for a record key. */
export interface Setting {
  /** Dotted path in the config file: `namespaces.<namespace>.historySize`. */
  readonly path: string;
  /** Environment variable: `SWITCHBOARD_NAMESPACES__<NAMESPACE>__HISTORY_SIZE` (`__` between levels). */
  readonly env: string;
  readonly kind: SettingKind;
  readonly description: string;
  readonly flag?: SettingFlag;
  /** Shown instead of the schema's default when that is not a plain value. */
  readonly defaultText?: string;
}

/** Prefix of every setting's environment variable. */
export const ENV_PREFIX = 'SWITCHBOARD_';

/**
 * One row of the table; `env` is given without {@link ENV_PREFIX}.
 * @returns the setting
 */
export function settingRow(
  path: string,
  env: string,
  kind: SettingKind,
  description: string,
  extra: Partial<Pick<Setting, 'flag' | 'defaultText'>> = {},
): Setting {
  return { path, env: `${ENV_PREFIX}${env}`, kind, description, ...extra };
}
