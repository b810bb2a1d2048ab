// Test setup (scripts/run-tests.mjs imports it into every test file's process): fixes fast-check's seed, so the
// property tests of `npm test` and CI draw the same cases on every run and a run that passed here passes there.
// A property that fails prints its seed and counterexample; replay it with FC_SEED=<seed>. To look for new
// counterexamples, run with FC_SEED=random (a fresh seed per property, as fast-check does by default), e.g.
// `FC_SEED=random node scripts/run-tests.mjs test/realtime/documents` (docs/architecture.md "Tests").
import fc from 'fast-check';

/** The seed of `npm test` when FC_SEED is unset: any fixed integer would do. */
const DEFAULT_SEED = 20261206;

const wanted = process.env.FC_SEED ?? String(DEFAULT_SEED);
if (wanted !== 'random') {
  const seed = Number(wanted);
  if (!Number.isSafeInteger(seed))
    throw new Error(`FC_SEED must be an integer or "random", not ${JSON.stringify(wanted)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
