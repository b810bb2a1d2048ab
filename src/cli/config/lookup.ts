// CLI config: finding a setting of the table (settings.ts) by environment variable or dotted path, and turning
// the text of a variable or flag into the value its kind expects.
import { ENV_PREFIX, SETTING_KINDS, type Setting, type SettingKind } from './setting.ts';
import { SETTINGS } from './settings.ts';

/** What a variable or path names: one setting, or an object of settings given whole as JSON. */
export interface FoundSetting {
  /** The config-file path, with record keys filled in: `['namespaces', 'chat', 'historySize']`. */
  readonly path: string[];
  /** The setting; undefined when the path names an object of settings (`tls`, `limits`, `namespaces.chat`). */
  readonly setting: Setting | undefined;
}

const PLACEHOLDER = /^<[^>]+>$/;

/** The `__`-separated levels of a setting's variable, without the prefix. */
export function envSegments(setting: Setting): string[] {
  return setting.env.slice(ENV_PREFIX.length).split('__');
}

function loose(segment: string): string {
  return segment.toLowerCase().replace(/[_-]/g, '');
}

function find(
  segments: readonly string[],
  patternOf: (s: Setting) => string[],
  keyOf: (segment: string) => string,
  same: (a: string, b: string) => boolean,
): FoundSetting | null {
  let object: FoundSetting | null = null;
  for (const setting of SETTINGS) {
    const pattern = patternOf(setting);
    const pathPattern = setting.path.split('.');
    if (segments.length > pattern.length) continue;
    const path: string[] = [];
    let matches = true;
    for (let i = 0; i < segments.length && matches; i++) {
      const segment = segments[i]!;
      if (PLACEHOLDER.test(pattern[i]!)) {
        if (segment === '') matches = false;
        else path.push(keyOf(segment));
      } else if (same(pattern[i]!, segment)) {
        path.push(pathPattern[i]!);
      } else {
        matches = false;
      }
    }
    if (!matches) continue;
    if (segments.length === pattern.length) return { path, setting };
    object ??= { path, setting: undefined };
  }
  return object;
}

const exact = (a: string, b: string): boolean => a === b;
const looseEqual = (a: string, b: string): boolean => loose(a) === loose(b);

/**
 * The setting an environment variable names (`SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE`); record keys
 * (namespace and role names) are lower-cased.
 * @param segments the variable without its prefix, split at `__`
 * @returns the setting, or null when the variable names none
 */
export function findByEnv(segments: readonly string[]): FoundSetting | null {
  return find(segments, envSegments, (key) => key.toLowerCase(), exact);
}

/**
 * The setting a dotted path names (`limits.maxMessageSize`, `namespaces.chat.presence`); record keys are kept as written.
 * @param segments the path split at `.`
 * @returns the setting, or null when the path names none
 */
export function findByPath(segments: readonly string[]): FoundSetting | null {
  return find(
    segments,
    (s) => s.path.split('.'),
    (key) => key,
    exact,
  );
}

/**
 * The spelling the user probably meant, for an unknown variable or path that differs only in case or `_`/`-`.
 * @param segments the unknown name's levels
 * @param style whether they came from the environment or a path
 * @returns `SWITCHBOARD_LIMITS__MAX_MESSAGE_SIZE` or `limits.maxMessageSize`, or undefined
 */
export function suggest(segments: readonly string[], style: 'env' | 'path'): string | undefined {
  const found = find(segments, style === 'env' ? envSegments : (s) => s.path.split('.'), (key) => key, looseEqual);
  if (found === null) return undefined;
  if (style === 'path') return found.path.join('.');
  const pattern = found.setting === undefined ? undefined : envSegments(found.setting);
  if (pattern === undefined) return undefined;
  return `${ENV_PREFIX}${segments.map((segment, i) => (PLACEHOLDER.test(pattern[i]!) ? segment : pattern[i]!)).join('__')}`;
}

/**
 * Converts the text of a variable or flag to the value the setting's kind expects. Text that does not fit is
 * returned unchanged, so the schema reports it with the field's own message.
 * @param kind the setting's kind; undefined for an object of settings (JSON, or `null`)
 * @param raw the text
 * @returns the value to validate
 */
export function coerce(kind: SettingKind | undefined, raw: string): unknown {
  const trimmed = raw.trim();
  switch (kind) {
    case SETTING_KINDS.INTEGER:
    case SETTING_KINDS.INTEGER_OR_AUTO:
      return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed === 'auto' ? 'auto' : raw;
    case SETTING_KINDS.BOOLEAN:
      return trimmed === 'true' || trimmed === '1' ? true : trimmed === 'false' || trimmed === '0' ? false : raw;
    case SETTING_KINDS.BOOLEAN_OR_AUTO:
      return trimmed === 'true' ? true : trimmed === 'false' ? false : raw;
    case SETTING_KINDS.NULLABLE_STRING:
      return trimmed === 'null' ? null : raw;
    case SETTING_KINDS.LIST:
      if (trimmed.startsWith('[')) return parseJson(trimmed, raw);
      return trimmed === ''
        ? []
        : trimmed
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== '');
    case SETTING_KINDS.JSON_OBJECT:
    case undefined:
      return trimmed === 'null' ? null : parseJson(trimmed, raw);
    default:
      return raw;
  }
}

function parseJson(text: string, fallback: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}
