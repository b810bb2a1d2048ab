// Every code block of README.md and docs/*.md says on its fence whether it runs (`run`), is type-checked only
// (`check`), is a long-running recipe started by its own test (`serve`), or is not run (`norun`); the `run` blocks are
// executed against a real server started from examples/dev.json, and every TypeScript block is type-checked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { allFences, isScript, isShell, TAGGED_LANGUAGES, type Fence } from './fences.ts';
import { startServe, type ServeProcess } from './server.ts';

const ROOT = process.cwd();
const fences = allFences(ROOT);
/** Each `run` block gets this long before it fails. */
const BLOCK_TIMEOUT_MS = 45_000;
/** The address the docs use for `npm start`'s server; `run` blocks talk to the test's server instead. */
const DOC_ADDRESSES = /\b(?:127\.0\.0\.1|localhost):8080\b/g;

function scratch(prefix: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  // Inside the repository, so `import 'switchboard/...'` resolves to this package (self-reference through "exports").
  return mkdtempSync(join(ROOT, '.tmp', `${prefix}-`));
}

function fileNameOf(f: Fence, index: number, ext: string): string {
  return `b${String(index).padStart(2, '0')}-${f.file.replace(/[^A-Za-z0-9]+/g, '_')}-L${f.line}.${ext}`;
}

test('every ts, js, sh and python block is tagged run, check, serve or norun', () => {
  const untagged = fences.filter((f) => TAGGED_LANGUAGES.has(f.lang) && f.mode === null);
  assert.deepEqual(
    untagged.map((f) => `${f.where} (\`\`\`${f.lang})`),
    [],
    'tag these fences, e.g. ```ts run, ```ts check, ```sh serve name=..., ```sh norun (CONTRIBUTING.md, "Docs snippets")',
  );
  assert.ok(
    fences.some((f) => f.mode === 'run'),
    'no run block found at all: the fence parser is broken',
  );
});

test('serve blocks are named and started by a docs test', () => {
  const tests = readdirSync(join(ROOT, 'test/docs'))
    .filter((n) => n.endsWith('.test.ts'))
    .map((n) => readFileSync(join(ROOT, 'test/docs', n), 'utf8'))
    .join('\n');
  for (const f of fences.filter((x) => x.mode === 'serve')) {
    const name = f.attributes['name'];
    assert.ok(name !== undefined, `${f.where}: a serve block needs name=...`);
    assert.ok(tests.includes(`'${name}'`), `${f.where}: no test under test/docs/ starts the serve block '${name}'`);
  }
});

test('the built package is there (npm ci builds it through the prepare script)', () => {
  for (const entry of ['dist/engine/index.js', 'dist/client/index.js', 'dist/client/index.d.ts']) {
    assert.ok(existsSync(join(ROOT, entry)), `${entry} is missing: run npm run build`);
  }
});

test('every TypeScript block type-checks with strict settings', { timeout: 120_000 }, (t) => {
  const dir = scratch('docs-typecheck');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blocks = fences.filter(
    (f) => isScript(f) && (f.mode === 'run' || f.mode === 'check') && (f.lang === 'ts' || f.lang === 'typescript'),
  );
  const files = new Map<string, Fence>();
  blocks.forEach((f, i) => {
    const name = fileNameOf(f, i, 'ts');
    // `export {}` keeps each block a module of its own (top-level await, no clashes between blocks).
    writeFileSync(join(dir, name), `${f.code}export {};\n`);
    files.set(name, f);
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noEmit: true,
      },
      include: ['*.ts'],
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')],
    { encoding: 'utf8' },
  );
  // Map "bNN-...ts(12,5): error" back to the Markdown line.
  const errors = `${tsc.stdout}${tsc.stderr}`
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(?:.*[\\/])?(b\d+-[^(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l);
      const f = m === null ? undefined : files.get(m[1]!);
      return f === undefined ? l : `${f.file}:${f.line + Number(m![2])}: ${m![4]}`;
    });
  assert.deepEqual(errors, [], `type errors in documented TypeScript (${blocks.length} blocks)`);
  assert.equal(tsc.status, 0);
});

describe('run blocks', () => {
  let server: ServeProcess;
  let dir: string;
  before(async () => {
    dir = scratch('docs-run');
    server = await startServe(ROOT, ['--config', 'examples/dev.json', '--port', '0', '--log-level', 'warn']);
  });
  after(async () => {
    await server?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const runnable = fences.filter((f) => f.mode === 'run');
  runnable.forEach((f, i) => {
    test(`${f.where} (${f.lang})`, { timeout: BLOCK_TIMEOUT_MS + 5000 }, () => {
      const code = f.code.replace(DOC_ADDRESSES, `127.0.0.1:${server.port}`);
      const blockDir = join(dir, `b${i}`);
      mkdirSync(blockDir);
      const env = {
        ...process.env,
        NODE_OPTIONS: '',
        PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${process.env['PATH'] ?? ''}`,
      };
      let result;
      if (isScript(f)) {
        const file = join(blockDir, fileNameOf(f, i, f.lang.startsWith('j') ? 'mjs' : 'ts'));
        writeFileSync(file, code);
        result = spawnSync(process.execPath, ['--import', 'tsx', file], {
          cwd: blockDir,
          env,
          encoding: 'utf8',
          timeout: BLOCK_TIMEOUT_MS,
        });
      } else if (isShell(f)) {
        const file = join(blockDir, fileNameOf(f, i, 'sh'));
        writeFileSync(file, code);
        result = spawnSync('bash', ['-e', '-o', 'pipefail', file], {
          cwd: ROOT,
          env,
          encoding: 'utf8',
          timeout: BLOCK_TIMEOUT_MS,
        });
      } else {
        assert.fail(`${f.where}: cannot run a \`\`\`${f.lang} block (run supports ts, js and sh)`);
      }
      const output = `${result.stdout}${result.stderr}`.slice(-4000);
      assert.equal(
        result.error,
        undefined,
        `${f.where}: ${result.error?.message} (limit ${BLOCK_TIMEOUT_MS} ms: a documented snippet must terminate)\n${output}`,
      );
      assert.equal(
        result.status,
        0,
        `${f.where} exited with ${result.status ?? result.signal}:\n${output}\nserver:\n${server.output().slice(-2000)}`,
      );
    });
  });
});
