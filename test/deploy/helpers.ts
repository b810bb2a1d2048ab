// Test helper for deploy/: runs validators (nginx -t, haproxy -c, systemd-analyze, python3 yaml) and loads the config the
// manifests' environment produces.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ServerConfig } from '../../src/cli/config.ts';
import { ROOT } from '../cluster/harness/templates.ts';

/** Debian's python3 has python3-yaml (.ci/run installs it); the python3 on PATH may be another build without it. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Runs a command to completion (30 s at most) and returns its exit status and output. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 30_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Every YAML document of deploy/<path>, parsed by python3's yaml module (PyYAML, Debian python3-yaml) into JSON. */
export function readYaml(path: string): Record<string, unknown>[] {
  const text = readFileSync(join(ROOT, 'deploy', path), 'utf8');
  const r = run(
    PYTHON,
    ['-c', 'import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d is not None]))'],
    { input: text },
  );
  if (r.status !== 0) throw new Error(`Cannot parse deploy/${path}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

/** The serve configuration that this environment (e.g. a manifest's `env`) produces, as `switchboard serve` loads it. */
export async function configFromEnv(env: Readonly<Record<string, string>>): Promise<ServerConfig> {
  return (await loadConfig({ env })).config;
}

/** Duration text of systemd (`30s`, `1min`) or Compose (`30s`, `1m`) in milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)\s*(ms|s|sec|m|min|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`Cannot read the duration "${text}"`);
  const unit = m[2] ?? 's';
  const factor =
    unit === 'ms' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'm' || unit === 'min' ? 60_000 : 3_600_000;
  return Number(m[1]) * factor;
}

/**
 * Splits `A=1 B="two words" C='x'` the way Docker's ENV and systemd's Environment= read it: words separated by
 * blanks, double or single quotes grouping (and removed), a backslash escaping the next character.
 */
export function splitAssignments(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i]!;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== null) throw new Error(`Cannot read "${text}": unterminated quote`);
  if (word !== null) words.push(word);
  return words;
}

function assignments(words: readonly string[], where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new Error(`Cannot read "${w}" in ${where}: expected NAME=value`);
    env[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return env;
}

/** The `ENV` of deploy/Dockerfile's last stage (the image that runs), continuation lines joined. */
export function dockerfileEnv(): Record<string, string> {
  const lines = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  let env: Record<string, string> = {};
  for (const line of lines) {
    const m = /^\s*(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') env = {};
    if (op !== 'ENV') continue;
    const args = m[2]!.trim();
    // The legacy form `ENV NAME value` sets one variable to the rest of the line.
    const first = args.split(/\s+/)[0]!;
    if (first.includes('=')) Object.assign(env, assignments(splitAssignments(args), 'deploy/Dockerfile'));
    else env[first] = args.slice(first.length).trim();
  }
  return env;
}

/** The `Environment=` assignments of deploy/systemd/switchboard.service (later ones win, as in systemd). */
export function systemdEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, 'deploy', 'systemd', 'switchboard.service'), 'utf8').split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (m !== null) Object.assign(env, assignments(splitAssignments(m[1]!), 'deploy/systemd/switchboard.service'));
  }
  return env;
}
