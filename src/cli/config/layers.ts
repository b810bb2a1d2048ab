// CLI config: the layers a configuration is merged from (file object, SWITCHBOARD_* environment, flags), each
// value remembered with its source so an error can say where a bad value came from.
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { coerce, findByEnv, findByPath, suggest } from './lookup.ts';
import { NON_SETTING_VARIABLES } from './non-setting-variables.ts';
import { ENV_PREFIX } from './setting.ts';

/** A JSON object being merged. */
export type Plain = Record<string, unknown>;

/** Keys never written into a merged object (prototype pollution). */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `['namespaces', 'chat', 'roles', 0]` → `namespaces.chat.roles[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/**
 * Merges `layer` into `target` (objects recursively; arrays and scalars replace), recording each leaf's source.
 * @throws ConfigError on a reserved key (`__proto__`, `constructor`, `prototype`)
 */
export function mergeLayer(
  target: Plain,
  layer: Plain,
  source: string,
  sources: Map<string, string>,
  prefix: string[] = [],
): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    if (RESERVED_KEYS.has(key)) throw new ConfigError([{ path: formatPath(path), message: 'reserved key', source }]);
    if (isPlain(value)) {
      const existing = Object.hasOwn(target, key) ? target[key] : undefined;
      const child: Plain = isPlain(existing) ? existing : {};
      target[key] = child;
      if (Object.keys(value).length === 0) sources.set(formatPath(path), source);
      mergeLayer(child, value, source, sources, path);
    } else {
      target[key] = value;
      sources.set(formatPath(path), source);
    }
  }
}

/** Sets `value` at `path`, creating the objects on the way. */
export function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlain(next)) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Where the value at an issue's path came from: the source of the path or of its nearest parent, or, for an issue
 * on an object (an unknown field), of whatever set something inside it.
 */
export function sourceOf(sources: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const found = sources.get(formatPath(path.slice(0, n)));
    if (found !== undefined) return found;
  }
  const prefix = formatPath(path);
  for (const [key, source] of sources) if (prefix !== '' && key.startsWith(`${prefix}.`)) return source;
  return undefined;
}

/** Collects one layer's values with their sources and the problems found on the way. */
export class Layer {
  readonly values: Plain = {};
  readonly issues: ConfigIssue[] = [];
  readonly #sources: Map<string, string>;

  constructor(sources: Map<string, string>) {
    this.#sources = sources;
  }

  /**
   * Sets the setting named by a variable (`style: 'env'`) or a dotted path, from text.
   * @param segments the name's levels
   * @param raw the text
   * @param source the variable or flag, for messages
   */
  setText(segments: readonly string[], raw: string, source: string, style: 'env' | 'path'): void {
    const found = style === 'env' ? findByEnv(segments) : findByPath(segments);
    if (found === null) {
      const hint = suggest(segments, style);
      this.issues.push({
        path: segments.join('.'),
        message: `unknown setting${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
        source,
      });
      return;
    }
    this.setValue(found.path, coerce(found.setting?.kind, raw), source);
  }

  /** Sets a value at a config-file path (a repeatable flag's list). */
  setValue(path: readonly string[], value: unknown, source: string): void {
    if (path.some((key) => RESERVED_KEYS.has(key))) {
      this.issues.push({ path: path.join('.'), message: 'reserved key', source });
      return;
    }
    setPath(this.values, path, value);
    this.#sources.set(formatPath(path), source);
  }
}

/**
 * Whether a variable is one of the launcher's, a client's or a diagnostic's, which are not settings.
 * @param name the variable
 */
export function isNonSettingVariable(name: string): boolean {
  return Object.hasOwn(NON_SETTING_VARIABLES, name);
}

/**
 * Reads `SWITCHBOARD_*` variables, except {@link NON_SETTING_VARIABLES}. Levels are separated by a double
 * underscore and words by one: `SWITCHBOARD_PORT=9000`, `SWITCHBOARD_LOG__LEVEL=debug`,
 * `SWITCHBOARD_NAMESPACES__CHAT__HISTORY_SIZE=50`, `SWITCHBOARD_ORIGINS=https://a.example,https://b.example`.
 * @param env the environment
 * @param sources where each value came from (filled in)
 * @returns the layer and its issues (unknown variables)
 */
export function envLayer(env: Readonly<Record<string, string | undefined>>, sources: Map<string, string>): Layer {
  const layer = new Layer(sources);
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (!name.startsWith(ENV_PREFIX) || isNonSettingVariable(name) || value === undefined) continue;
    layer.setText(name.slice(ENV_PREFIX.length).split('__'), value, name, 'env');
  }
  return layer;
}
