// The preamble the benchmark scripts share: `--help` printed from the script's header comment, the `--nice` option
// checked and applied to the whole session (autogroup), and child processes pinned to a CPU with taskset (when
// present) under that nice.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Whether `taskset` is on the PATH (pinning is skipped without it, and the reports say so). */
export const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;

/**
 * With `--help`, prints the script's header comment (lines 2 to `lastLine`, without the `//`) and exits.
 * @param {boolean} wanted `args.help`
 * @param {string} url the script's `import.meta.url`
 * @param {number} lastLine the header's last line (1-based)
 */
export function helpFromHeader(wanted, url, lastLine) {
  if (!wanted) return;
  console.log(
    readFileSync(new URL(url), 'utf8')
      .split('\n')
      .slice(1, lastLine)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}

/**
 * The `--nice` option as a number.
 * @param {string} text
 * @returns {number}
 * @throws {Error} unless an integer from -20 to 19
 */
export function niceOption(text) {
  const niceness = Number(text);
  if (!Number.isInteger(niceness) || niceness < -20 || niceness > 19)
    throw new Error(`--nice must be an integer from -20 to 19, got "${text}"`);
  return niceness;
}

/**
 * With the kernel's autogroup scheduling (one group per session, /proc/sys/kernel/sched_autogroup_enabled), a
 * process's nice only ranks it within its session: against other sessions' processes only the group's nice counts.
 * This run's session (the servers and clients inherit it) gets the same nice, when the kernel lets us; the group's
 * nice is restored on exit: the session outlives this run.
 * @param {number} niceness
 * @returns {string} what was done, for the report
 */
export function setSessionNice(niceness) {
  let autogroup = 'no autogroup';
  if (niceness !== 0 && existsSync('/proc/self/autogroup')) {
    try {
      const before = /nice (-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1] ?? '0';
      writeFileSync('/proc/self/autogroup', String(niceness));
      autogroup = readFileSync('/proc/self/autogroup', 'utf8').trim();
      process.once('exit', () => writeFileSync('/proc/self/autogroup', before));
      for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
    } catch (err) {
      autogroup = `autogroup nice not set (${err.code ?? err.message})`;
    }
  }
  return autogroup;
}

/**
 * The command line of a child pinned to `cpu` at `niceness`: `nice` then `taskset` exec the command, so the PID is
 * still the measured process.
 * @param {number} cpu
 * @param {string[]} argv
 * @param {{ niceness?: number, pin?: boolean }} [options] `pin: false` leaves it unpinned
 * @returns {string[]}
 */
export function pinned(cpu, argv, { niceness = 0, pin = true } = {}) {
  return [
    ...(niceness === 0 ? [] : ['nice', '-n', String(niceness)]),
    ...(pin && hasTaskset ? ['taskset', '-c', String(cpu)] : []),
    ...argv,
  ];
}
