// The layer rules of docs/architecture.md, checked by reading every import under src/: no upward import,
// no reach into another layer's private files, only the Node modules and packages each layer may use, no cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const SRC = resolve('src');

type Layer =
  | 'protocol'
  | 'engine'
  | 'messages'
  | 'broker'
  | 'realtime'
  | 'integrations'
  | 'ingest'
  | 'http'
  | 'client'
  | 'cli';

interface Rule {
  /** Layers this one may import (through their index.ts). */
  readonly layers: readonly Layer[];
  /** `node:*` modules allowed; '*' for any. */
  readonly node: readonly string[] | '*';
  /** npm packages allowed; '*' for any. */
  readonly packages: readonly string[] | '*';
  /** Layers whose imports must be `import type` only. */
  readonly typeOnly?: readonly Layer[];
  /** `node:*` modules this layer may name in `import type` only. */
  readonly nodeTypes?: readonly string[];
}

/**
 * The files of a layer that other layers may import. Every layer has `index`; messages also has
 * `core`, its zod-free entry, so the browser client shares its definitions without zod and msgpackr.
 */
const ENTRIES: Partial<Record<Layer, readonly string[]>> = { messages: ['index', 'core'] };

const RULES: Record<Layer, Rule> = {
  protocol: { layers: [], node: ['node:crypto'], packages: [] },
  engine: { layers: ['protocol'], node: '*', packages: [] },
  messages: { layers: ['protocol'], node: [], packages: ['zod', 'msgpackr'], typeOnly: ['protocol'] },
  // pg: the PostgreSQL document store (optional; loaded only when configured).
  broker: { layers: [], node: '*', packages: ['ioredis', 'pg'] },
  realtime: {
    layers: ['protocol', 'engine', 'broker', 'messages'],
    node: ['node:crypto', 'node:timers', 'node:timers/promises', 'node:events', 'node:diagnostics_channel'],
    // The engine hands realtime the upgrade request (`http.IncomingMessage`); realtime reads it, never serves HTTP.
    nodeTypes: ['node:http'],
    // ajv: per-namespace payload schemas (JSON Schema), compiled once. yjs, y-protocols, lib0: documents.
    packages: ['jose', 'ajv', 'yjs', 'y-protocols', 'lib0'],
    typeOnly: ['protocol'],
  },
  // Server logic over HTTP: the backend proxy, webhooks, request signatures. Implements realtime's ServerLogic.
  integrations: { layers: ['messages', 'broker', 'realtime'], node: '*', packages: ['undici'] },
  // Live data feeds: one file per source (NATS JetStream, RabbitMQ, Redis Streams, MQTT, demo generators) behind
  // `Source`, published through realtime's server-side publish.
  ingest: {
    layers: ['messages', 'broker', 'realtime'],
    node: '*',
    packages: ['nats', 'amqplib', 'mqtt', 'ioredis', 'msgpackr', 'zod'],
  },
  http: {
    layers: ['protocol', 'engine', 'messages', 'broker', 'realtime', 'integrations'],
    node: '*',
    packages: '*',
  },
  // react: only src/client/react.ts (switchboard/react), a browser-safe optional peer dependency; yjs, y-protocols and
  // lib0 only in the document provider's own entry, so the core client bundle stays free of them; y-indexeddb there
  // too (its optional browser persistence, loaded on demand).
  client: {
    layers: ['protocol', 'messages'],
    node: [],
    packages: ['react', 'yjs', 'y-protocols', 'lib0', 'y-indexeddb'],
    typeOnly: ['protocol'],
  },
  cli: {
    layers: ['protocol', 'engine', 'messages', 'broker', 'realtime', 'integrations', 'ingest', 'http', 'client'],
    node: '*',
    packages: '*',
  },
};

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

interface ImportRef {
  readonly spec: string;
  readonly typeOnly: boolean;
}

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
        if (targetLayer === null) {
          violations.push(`${where}: outside src/`);
          continue;
        }
        if (targetLayer === layer) continue;
        if (!rule.layers.includes(targetLayer)) {
          violations.push(`${where}: ${layer} may not import ${targetLayer}`);
          continue;
        }
        const rel = relative(join(SRC, targetLayer), target).replace(/\.(ts|js)$/, '');
        const entries = ENTRIES[targetLayer] ?? ['index'];
        if (!entries.includes(rel))
          violations.push(
            `${where}: other layers import only ${entries.map((e) => `src/${targetLayer}/${e}.ts`).join(' or ')}`,
          );
        if (rule.typeOnly?.includes(targetLayer) && !typeOnly)
          violations.push(`${where}: ${layer} may import only types from ${targetLayer}`);
      } else if (spec.startsWith('node:')) {
        const allowed =
          rule.node === '*' || rule.node.includes(spec) || (typeOnly && rule.nodeTypes?.includes(spec) === true);
        if (!allowed) violations.push(`${where}: ${spec} is not allowed in ${layer}`);
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (rule.packages !== '*' && !rule.packages.includes(pkg) && !typeOnly)
          violations.push(`${where}: package '${pkg}' is not allowed in ${layer}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the import reader sees static, type-only, re-export and dynamic imports but not comments', () => {
  const refs = readImports(
    [
      "import { a } from './a.ts';",
      "import type { B } from '../engine/index.ts';",
      "export * from './c.ts';",
      "const m = await import('node:fs');",
      "// import { x } from 'node:net';",
      "/* import y from 'ioredis' */",
    ].join('\n'),
  );
  assert.deepEqual(refs, [
    { spec: './a.ts', typeOnly: false },
    { spec: '../engine/index.ts', typeOnly: true },
    { spec: './c.ts', typeOnly: false },
    { spec: 'node:fs', typeOnly: false },
  ]);
});

/** Every relative import (type-only too) between files under src/, as an adjacency list. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(SRC, [])) {
    const edges: string[] = [];
    for (const { spec } of readImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) edges.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
    }
    graph.set(file, edges);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

test('no import cycle under src/, type-only imports included', () => {
  const cycles = findCycles(importGraph()).map((c) => c.map((f) => relative('.', f)).join(' <-> '));
  assert.deepEqual(cycles, []);
});

test('the cycle finder reports a cycle through type imports and a self-import, and nothing in a chain', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['f']],
    ['f', []],
  ]);
  assert.deepEqual(findCycles(graph), [['a', 'b', 'c'], ['d']]);
});
