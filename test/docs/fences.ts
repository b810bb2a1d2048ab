// Test helper: the fenced code blocks of the Markdown docs, with their tags, so every documented snippet is either
// run, type-checked or explicitly marked as not run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a test does with a block, from the word after the language on its opening fence:
 * - `run`: executed (TypeScript through tsx, shell through bash) against a real server, and type-checked;
 * - `check`: type-checked only (browser and React code);
 * - `serve`: a long-running recipe (`name=...`), started, checked and stopped by its own test under test/docs/;
 * - `norun`: neither (it needs Docker, a cluster, a long-running process...); the text around it says why.
 */
export type FenceMode = 'run' | 'check' | 'serve' | 'norun';

/** Languages whose blocks must carry a mode. */
export const TAGGED_LANGUAGES: ReadonlySet<string> = new Set([
  'ts',
  'typescript',
  'tsx',
  'js',
  'javascript',
  'sh',
  'bash',
  'shell',
  'python',
  'py',
]);

/** One fenced block. */
export interface Fence {
  /** Repository-relative path, e.g. `README.md`. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  /** null when the fence has no mode word. */
  readonly mode: FenceMode | null;
  /** The words after the mode (`name=cluster-nginx`, ...), as key=value pairs. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The block's text, without the fences. */
  readonly code: string;
  /** `README.md:42`, for failure messages. */
  readonly where: string;
}

const MODES: ReadonlySet<string> = new Set(['run', 'check', 'serve', 'norun']);

/** The Markdown files whose blocks are checked: README.md, CONTRIBUTING.md and docs/*.md. */
export function docFiles(root: string): string[] {
  return [
    'README.md',
    'CONTRIBUTING.md',
    ...readdirSync(join(root, 'docs'))
      .filter((n) => n.endsWith('.md'))
      .sort()
      .map((n) => `docs/${n}`),
  ];
}

/** Every fenced block of `file` (relative to `root`). */
export function fencesOf(root: string, file: string): Fence[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const marker = open[2]!;
    const words = open[3]!
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close !== null && close[1]!.startsWith(marker[0]!) && close[1]!.length >= marker.length) break;
      body.push(lines[j]!.slice(Math.min(indent, /^\s*/.exec(lines[j]!)![0].length)));
    }
    const lang = (words[0] ?? '').toLowerCase();
    const modeWord = words[1];
    const attributes: Record<string, string> = {};
    for (const w of words.slice(2)) {
      const eq = w.indexOf('=');
      if (eq > 0) attributes[w.slice(0, eq)] = w.slice(eq + 1);
    }
    out.push({
      file,
      line: i + 1,
      lang,
      mode: modeWord !== undefined && MODES.has(modeWord) ? (modeWord as FenceMode) : null,
      attributes,
      code: `${body.join('\n')}\n`,
      where: `${file}:${i + 1}`,
    });
    i = j;
  }
  return out;
}

/** Every block of README.md and docs/*.md. */
export function allFences(root: string): Fence[] {
  return docFiles(root).flatMap((f) => fencesOf(root, f));
}

/** True for TypeScript/JavaScript blocks. */
export function isScript(f: Fence): boolean {
  return f.lang === 'ts' || f.lang === 'typescript' || f.lang === 'tsx' || f.lang === 'js' || f.lang === 'javascript';
}

/** True for shell blocks. */
export function isShell(f: Fence): boolean {
  return f.lang === 'sh' || f.lang === 'bash' || f.lang === 'shell';
}
