// docs/client-api.md documents exactly the exports of the client SDK: one `### \`Name\`` section per export of
// src/client/index.ts and of the document provider's entry src/client/documents.ts (values and types, as the
// TypeScript compiler sees them), none missing, none extra.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = process.cwd();

function exportsOf(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  const source = program.getSourceFile(file);
  assert.ok(source !== undefined, `cannot read ${file}`);
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(source);
  assert.ok(symbol !== undefined, `${file} is not a module`);
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.getName())
    .sort();
}

test('docs/client-api.md has one section per export of switchboard/client and switchboard/documents, and no other', () => {
  const documents = exportsOf(join(ROOT, 'src/client/documents.ts'));
  assert.ok(documents.includes('createDocumentProvider'), `unexpected export list: ${documents.join(', ')}`);
  const exported = [...exportsOf(join(ROOT, 'src/client/index.ts')), ...documents].sort();
  assert.ok(exported.includes('Client') && exported.length > 10, `unexpected export list: ${exported.join(', ')}`);
  const doc = readFileSync(join(ROOT, 'docs/client-api.md'), 'utf8');
  const documented = [...doc.matchAll(/^### `([A-Za-z_$][\w$]*)`\s*$/gm)].map((m) => m[1]!).sort();
  const duplicates = documented.filter((name, i) => documented.indexOf(name) !== i);
  assert.deepEqual(duplicates, [], 'documented twice');
  assert.deepEqual(
    exported.filter((n) => !documented.includes(n)),
    [],
    'exported by src/client/index.ts but not documented in docs/client-api.md',
  );
  assert.deepEqual(
    documented.filter((n) => !exported.includes(n)),
    [],
    'documented in docs/client-api.md but not exported by src/client/index.ts',
  );
});
