// Test harness: finds the Debian binaries the deploy and cluster tests run (see test/helpers/prereqs.ts).
export { findBinary } from '../../helpers/prereqs.ts';
