// A node:test reporter that writes one line per failed test: its file, line, name and the first lines of its
// error. scripts/run-tests.mjs prints those lines after the TAP summary, so a log that keeps only its tail
// (a CI page) still says which test failed and why. Parents that fail only because a subtest failed are left
// out: the subtest's own line says more.
const ERROR_LINES = 6;

function describe(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
  return text.split('\n').slice(0, ERROR_LINES).join('\n    ');
}

export default async function* failuresReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    if (details?.error?.failureType === 'subtestsFailed') continue;
    yield `not ok: ${file ?? '?'}:${line ?? '?'} ${name}\n    ${describe(details?.error)}\n`;
  }
}
