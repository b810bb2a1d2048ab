// bench/RESULTS.md is shared: bench/run.mjs writes the main tables, other benchmarks own marked sections
// (`<!-- NAME:begin -->` … `<!-- NAME:end -->`) that survive every rewrite.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const SECTION = /<!-- ([\w-]+):begin -->[\s\S]*?<!-- \1:end -->\n?/g;

/**
 * Replaces the marked section `name` of `file` with `body` (appended when the file has none).
 * @param {string} file
 * @param {string} name
 * @param {string} body Markdown ending with a newline
 */
export function writeSection(file, name, body) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${body}${end}\n`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? current.slice(0, start) + block + current.slice(stop + end.length + 1)
      : `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}\n${block}`;
  writeFileSync(file, next);
}

/**
 * Every marked section of `file`, to keep after a rewrite of the rest.
 * @param {string} file
 * @returns {string} the sections, each ending with a newline, separated by blank lines ('' when none)
 */
export function markedSections(file) {
  if (!existsSync(file)) return '';
  const blocks = [...readFileSync(file, 'utf8').matchAll(SECTION)].map((m) =>
    m[0].endsWith('\n') ? m[0] : `${m[0]}\n`,
  );
  return blocks.length === 0 ? '' : `\n${blocks.join('\n')}`;
}
