// A missing system tool fails a test with the package to install, not a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findBinary, MissingToolError, requireExecutable } from './prereqs.ts';

test('a missing executable names the Debian package and the one command that installs everything', () => {
  assert.throws(
    () => requireExecutable('/nonexistent/chromium', 'chromium'),
    (err: unknown) => {
      assert.ok(err instanceof MissingToolError);
      assert.match(err.message, /apt-get install -y chromium/);
      assert.match(err.message, /npm run test:ci/);
      assert.doesNotMatch(err.stack ?? '', /\n\s+at /, 'no stack frames');
      return true;
    },
  );
});

test('a binary outside PATH is found in the system directories (nginx and haproxy install to /usr/sbin)', (t) => {
  const saved = process.env['PATH'];
  t.after(() => {
    process.env['PATH'] = saved;
  });
  process.env['PATH'] = '/nonexistent';
  assert.match(findBinary('redis-server'), /\/redis-server$/);
});
