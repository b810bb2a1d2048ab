// The static site serves the chat page at `/` and every `web/<page>/` folder with a `main.ts` as its own page.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listPageScripts, loadStaticSite } from '../../src/http/static.ts';

function webRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'sb-web-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>chat</title>');
  writeFileSync(join(root, 'app.ts'), 'document.title = "chat";\n');
  mkdirSync(join(root, 'board'));
  writeFileSync(join(root, 'board', 'index.html'), '<!doctype html><title>board</title>');
  writeFileSync(join(root, 'board', 'style.css'), 'body{}');
  writeFileSync(join(root, 'board', 'main.ts'), 'const n: number = 1; document.title = String(n);\n');
  mkdirSync(join(root, 'notes')); // no main.ts: not a page
  writeFileSync(join(root, 'notes', 'index.html'), 'x');
  mkdirSync(join(root, 'Bad_Name'));
  writeFileSync(join(root, 'Bad_Name', 'main.ts'), '');
  return root;
}

test('pages: the chat page at / and each folder with a main.ts under its own prefix', async () => {
  const root = webRoot();
  try {
    assert.deepEqual(
      (await listPageScripts(root)).map((p) => p.url),
      ['/app.js', '/board/main.js'],
    );
    const site = await loadStaticSite(root);
    const paths = site.paths.sort();
    for (const path of [
      '/index.html',
      '/app.js',
      '/board',
      '/board/',
      '/board/index.html',
      '/board/style.css',
      '/board/main.js',
    ])
      assert.ok(paths.includes(path), `${path} is served`);
    assert.ok(!paths.some((p) => p.startsWith('/notes') || p.startsWith('/Bad_Name')), paths.join(' '));
    assert.equal(site.bundle, 'esbuild');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
