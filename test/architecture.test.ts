// Layer rules of ../shared/DESIGN.md and STYLE.md §2, checked by reading every import under src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const SRC = resolve('src');

type Layer = 'protocol' | 'engine' | 'messages' | 'broker' | 'realtime' | 'http' | 'client' | 'cli';

interface Rule {
  /** Layers this one may import (through their index.ts). */
  readonly layers: readonly Layer[];
  /** `node:*` modules allowed; '*' for any. */
  readonly node: readonly string[] | '*';
  /** npm packages allowed; '*' for any. */
  readonly packages: readonly string[] | '*';
  /** Layers whose imports must be `import type` only. */
  readonly typeOnly?: readonly Layer[];
}

const RULES: Record<Layer, Rule> = {
  protocol: { layers: [], node: ['node:crypto'], packages: [] },
  engine: { layers: ['protocol'], node: '*', packages: [] },
  messages: { layers: ['protocol'], node: [], packages: ['zod', 'msgpackr'], typeOnly: ['protocol'] },
  broker: { layers: [], node: '*', packages: ['ioredis'] },
  realtime: {
    layers: ['protocol', 'engine', 'broker', 'messages'],
    node: ['node:crypto', 'node:timers', 'node:timers/promises', 'node:events', 'node:fs/promises', 'node:http', 'node:diagnostics_channel'],
    packages: ['jose', 'yjs', 'y-protocols', 'lib0', 'pino'],
    typeOnly: ['protocol'],
  },
  http: { layers: ['protocol', 'engine', 'messages', 'broker', 'realtime'], node: '*', packages: '*' },
  // react: only src/client/react.ts (switchboard/react), a browser-safe optional peer dependency.
  client: { layers: ['protocol', 'messages'], node: [], packages: ['react'], typeOnly: ['protocol'] },
  cli: { layers: ['protocol', 'engine', 'messages', 'broker', 'realtime', 'http', 'client'], node: '*', packages: '*' },
};

/** Entries besides index.ts that other layers may import: messages/core.ts is the schema-free part (no zod, no msgpackr). */
const EXTRA_ENTRIES: Partial<Record<Layer, readonly string[]>> = { messages: ['core'] };

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

interface ImportRef { readonly spec: string; readonly typeOnly: boolean }

/** Finds static and dynamic import specifiers; comments are removed first so quoted RFC text is ignored. */
export function readImports(source: string): ImportRef[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const refs: ImportRef[] = [];
  const stat = /\b(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(stat)) refs.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  const dyn = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of code.matchAll(dyn)) refs.push({ spec: m[1]!, typeOnly: false });
  return refs;
}

function layerOf(file: string): Layer | null {
  const first = relative(SRC, file).split(sep)[0];
  return first !== undefined && first in RULES ? (first as Layer) : null;
}

test('every file under src/ belongs to a known layer', () => {
  for (const file of walk(SRC, [])) {
    assert.notEqual(layerOf(file), null, `${relative('.', file)} is outside every layer`);
  }
});

test('no layer imports upward, reaches into another layer, or uses a forbidden module', () => {
  const violations: string[] = [];
  for (const file of walk(SRC, [])) {
    const layer = layerOf(file)!;
    const rule = RULES[layer];
    for (const { spec, typeOnly } of readImports(readFileSync(file, 'utf8'))) {
      const where = `${relative('.', file)} imports '${spec}'`;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const targetLayer = layerOf(target);
        if (targetLayer === null) { violations.push(`${where}: outside src/`); continue; }
        if (targetLayer === layer) continue;
        if (!rule.layers.includes(targetLayer)) { violations.push(`${where}: ${layer} may not import ${targetLayer}`); continue; }
        const rel = relative(join(SRC, targetLayer), target).replace(/\.(ts|js)$/, '');
        if (rel !== 'index' && !(EXTRA_ENTRIES[targetLayer] ?? []).includes(rel)) violations.push(`${where}: other layers import only src/${targetLayer}/index.ts`);
        if (rule.typeOnly?.includes(targetLayer) && !typeOnly) violations.push(`${where}: ${layer} may import only types from ${targetLayer}`);
      } else if (spec.startsWith('node:')) {
        if (rule.node !== '*' && !rule.node.includes(spec)) violations.push(`${where}: ${spec} is not allowed in ${layer}`);
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (rule.packages !== '*' && !rule.packages.includes(pkg) && !typeOnly) violations.push(`${where}: package '${pkg}' is not allowed in ${layer}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the import reader sees static, type-only, re-export and dynamic imports but not comments', () => {
  const refs = readImports([
    "import { a } from './a.ts';",
    "import type { B } from '../engine/index.ts';",
    "export * from './c.ts';",
    "const m = await import('node:fs');",
    "// import { x } from 'node:net';",
    "/* import y from 'ioredis' */",
  ].join('\n'));
  assert.deepEqual(refs, [
    { spec: './a.ts', typeOnly: false },
    { spec: '../engine/index.ts', typeOnly: true },
    { spec: './c.ts', typeOnly: false },
    { spec: 'node:fs', typeOnly: false },
  ]);
});
