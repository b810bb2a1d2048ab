// Test helper: the system tools the suite runs for real, and one clear failure when one is missing.
// `npm run test:ci` (scripts/install-prereqs.sh) installs all of them on Debian/Ubuntu.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Each tool the tests run, with the Debian package that provides it. */
export const TOOL_PACKAGES = {
  nginx: 'nginx',
  haproxy: 'haproxy',
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  'systemd-analyze': 'systemd',
  chromium: 'chromium',
  openssl: 'openssl',
  'nats-server': 'nats-server',
} as const;

export type Tool = keyof typeof TOOL_PACKAGES;

/**
 * A missing system tool. Its stack is only its message: the test output names the package to install
 * instead of a trace through this helper.
 */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
  constructor(what: string, pkg: string) {
    super(
      `${what} is not installed: apt-get install -y ${pkg} (or run \`npm run test:ci\`, which installs every prerequisite)`,
    );
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The absolute path of `name` on PATH, then in /usr/sbin, /usr/local/sbin, /sbin and /usr/bin (nginx and haproxy
 * live in /usr/sbin, which is not on a non-root PATH).
 * @throws MissingToolError naming the Debian package when it is nowhere
 */
export function findBinary(name: Tool): string {
  const dirs = [
    ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
    '/usr/bin',
  ];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next directory
    }
  }
  throw new MissingToolError(name, TOOL_PACKAGES[name]);
}

/**
 * `path` when it is an executable file.
 * @throws MissingToolError naming `pkg` otherwise
 */
export function requireExecutable(path: string, pkg: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new MissingToolError(path, pkg);
  }
}
