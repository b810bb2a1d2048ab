// Broker (document files): the exclusive lock of a file store's directory, so one process at a time appends to its
// logs (two would interleave their records).
//
// The lock is a file `.switchboard.lock` in the directory, created with O_EXCL (atomic: of two processes creating it at
// once, one fails with EEXIST) and holding the owner's pid, host name, a random token and, where the system tells
// them (Linux /proc), the kernel's boot id and the process's start time. A lock whose owner no longer runs on this
// host is stale (the owner crashed or was killed) and is taken over: its pid is gone, or the machine booted since, or
// the pid now names another process (a restarted container whose server is pid 1 again). The takeover itself is
// serialised by a second O_EXCL file, so of several processes finding the same stale lock exactly one removes it. The
// lock is removed by `release` (the store's `close`), only while it still holds this owner's token.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BrokerError } from '../errors.ts';

/** Name of the lock file in a store's directory. */
export const LOCK_FILE = '.switchboard.lock';
const TAKEOVER_SUFFIX = '.takeover';
/**
 * Age after which a lock file without a readable owner (a crash between creating and writing it), or a takeover
 * file left by a crash, is stale, in ms. An owner writes its lock within microseconds of creating it.
 */
const UNREADABLE_LOCK_STALE_MS = 2000;
/** Pause between attempts while another process writes its lock or takes a stale one over, in ms. */
const RETRY_PAUSE_MS = 10;
/** Attempts before giving up on a lock that keeps changing hands. */
const MAX_ATTEMPTS = 500;

/** Who holds a lock, as its file says. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  /** When it was taken (ISO 8601). */
  readonly since: string;
  /** The kernel's boot id when it was taken (absent where the system does not tell it, and in older lock files). */
  readonly boot?: string;
  /** The owner process's start time in clock ticks since boot (absent as `boot` is). */
  readonly start?: string;
}

/** Where Linux tells the id of the current boot. */
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';
/** 1-based index of `starttime` in /proc/<pid>/stat (proc(5)); the fields after the parenthesised name start at 3. */
const STAT_START_TIME_FIELD = 22;
const STAT_FIRST_FIELD_AFTER_NAME = 3;

/** The id of the current boot, or undefined where /proc does not have it. */
function bootId(): string | undefined {
  try {
    return readFileSync(BOOT_ID_PATH, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A process's start time (clock ticks since boot), or undefined when it is gone or /proc does not tell it. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The name (field 2) is in parentheses and may itself hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[STAT_START_TIME_FIELD - STAT_FIRST_FIELD_AFTER_NAME] || undefined;
}

/** The directory is locked by another live process (or another store of this one). */
export class DocumentStoreLockedError extends BrokerError {
  /** The lock file. */
  readonly lockPath: string;
  /** Its owner. */
  readonly owner: LockOwner;
  constructor(dir: string, lockPath: string, owner: LockOwner) {
    const who =
      owner.pid === process.pid && owner.host === hostname()
        ? `another document store of this process (pid ${owner.pid})`
        : `process ${owner.pid} on ${owner.host}`;
    super(
      `Cannot open the document store in ${dir}: it is in use by ${who} since ${owner.since}; one process per directory (use the redis or postgres ` +
        `store to share documents between processes). If no such process runs, remove ${lockPath}`,
      { code: 'BROKER_UNAVAILABLE' },
    );
    this.lockPath = lockPath;
    this.owner = owner;
  }
}

/** A lock held by this process. */
export interface DirectoryLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this owner's; safe to call twice. */
  release(): Promise<void>;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether the owner's process still runs. A lock from another host cannot be checked: it counts as alive. Where the
 * lock names a boot id and a start time, a pid alive now is the owner only if the machine has not booted since and the
 * process under that pid started when the owner did (pids are reused, after a reboot and in containers, where the
 * server is often pid 1 every time).
 */
function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.boot !== undefined) {
    const boot = bootId();
    if (boot !== undefined && boot !== owner.boot) return false;
  }
  if (owner.pid !== process.pid) {
    try {
      process.kill(owner.pid, 0);
    } catch (err) {
      // EPERM: the process exists under another user.
      if (errno(err) === 'ESRCH') return false;
    }
  }
  if (owner.start === undefined) return true;
  const start = processStartTime(owner.pid);
  return start === undefined || start === owner.start;
}

/** The lock file's owner; null while it is missing, or unreadable (being written, or cut short by a crash). */
async function readOwner(path: string): Promise<LockOwner | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (
      Number.isSafeInteger(o.pid) &&
      typeof o.host === 'string' &&
      typeof o.token === 'string' &&
      typeof o.since === 'string' &&
      (o.boot === undefined || typeof o.boot === 'string') &&
      (o.start === undefined || typeof o.start === 'string')
    ) {
      return o as LockOwner;
    }
  } catch {
    // Not JSON (yet): handled as unreadable below.
  }
  return null;
}

/** Creates `path` exclusively with `text`; false when it exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return true;
}

async function ageMs(path: string): Promise<number | null> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw err;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
}

/**
 * Removes the lock at `path` if it is still the stale one described by `stale` (null: an unreadable file), under the
 * takeover file so two processes never remove each other's fresh lock.
 */
async function takeOver(path: string, stale: LockOwner | null): Promise<void> {
  const takeover = `${path}${TAKEOVER_SUFFIX}`;
  const mine = JSON.stringify({ pid: process.pid, host: hostname() });
  if (!(await createExclusive(takeover, mine))) {
    // Another process is taking over; a takeover file a crash left behind is removed once old.
    const age = await ageMs(takeover);
    if (age !== null && age > UNREADABLE_LOCK_STALE_MS) await removeIfPresent(takeover);
    else await pause(RETRY_PAUSE_MS);
    return;
  }
  try {
    const now = await readOwner(path);
    const same = stale === null ? now === null : now !== null && now.token === stale.token;
    if (same) await removeIfPresent(path);
  } finally {
    await removeIfPresent(takeover);
  }
}

/**
 * Takes the exclusive lock of `dir` (which must exist).
 * @throws DocumentStoreLockedError when a live process (or another store of this process) holds it
 * @throws BrokerError `BROKER_UNAVAILABLE` when the lock keeps changing hands (many processes starting at once)
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  const boot = bootId();
  const start = processStartTime(process.pid);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    token: randomUUID(),
    since: new Date().toISOString(),
    ...(boot !== undefined && start !== undefined ? { boot, start } : {}),
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusive(path, JSON.stringify(owner))) {
      let released = false;
      return {
        path,
        owner,
        async release() {
          if (released) return;
          released = true;
          const now = await readOwner(path).catch(() => null);
          if (now?.token === owner.token) await removeIfPresent(path);
        },
      };
    }
    const current = await readOwner(path);
    if (current !== null) {
      if (alive(current)) throw new DocumentStoreLockedError(dir, path, current);
      await takeOver(path, current);
    } else {
      const age = await ageMs(path);
      // Gone meanwhile (retry at once), or being written by its owner (wait), or left unwritten by a crash.
      if (age !== null && age > UNREADABLE_LOCK_STALE_MS) await takeOver(path, null);
      else if (age !== null) await pause(RETRY_PAUSE_MS);
    }
  }
  throw new BrokerError(`Cannot lock ${dir}: its lock kept changing hands`, { code: 'BROKER_UNAVAILABLE' });
}
