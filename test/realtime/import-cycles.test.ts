// The realtime layer's modules form no import cycle, `import type` included: each file can be read on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve('src/realtime');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Relative import and re-export specifiers of a module, type-only ones included, comments ignored. */
function localImports(file: string): string[] {
  const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"](\.[^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs.map((spec) => resolve(dirname(file), spec)).filter((target) => target.startsWith(`${ROOT}/`));
}

/**
 * Every elementary cycle found by a depth-first search, each once (as first met), as paths relative to src/realtime.
 * @param graph module -> modules it imports
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...cycle, next].map((f) => relative(ROOT, f)));
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

test('the cycle finder reports a cycle through type-only imports and ignores acyclic ones', () => {
  const graph = new Map([[`${ROOT}/a.ts`, [`${ROOT}/b.ts`]], [`${ROOT}/b.ts`, [`${ROOT}/a.ts`]], [`${ROOT}/c.ts`, [`${ROOT}/a.ts`]]]);
  assert.deepEqual(findCycles(graph), [['a.ts', 'b.ts', 'a.ts']]);
  assert.deepEqual(findCycles(new Map([[`${ROOT}/c.ts`, [`${ROOT}/a.ts`]], [`${ROOT}/a.ts`, []]])), []);
});

test('no module under src/realtime imports itself back, even through `import type`', () => {
  const graph = new Map(walk(ROOT).map((file) => [file, localImports(file)] as const));
  const cycles = findCycles(graph);
  assert.deepEqual(cycles.map((c) => c.join(' -> ')), []);
});
