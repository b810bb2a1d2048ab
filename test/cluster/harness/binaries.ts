// Test harness: finds the Debian binaries the deploy and cluster tests run (nginx and haproxy live in /usr/sbin,
// which is not on a non-root PATH).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The absolute path of `name` on PATH, then in /usr/sbin, /usr/local/sbin and /sbin.
 * @throws Error naming the Debian package to install when it is nowhere (.ci/run installs them)
 */
export function findBinary(name: 'nginx' | 'haproxy' | 'redis-server' | 'redis-cli' | 'systemd-analyze'): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next directory
    }
  }
  const pkg = name === 'redis-cli' ? 'redis-tools' : name === 'systemd-analyze' ? 'systemd' : name;
  throw new Error(`Cannot find ${name}: install the Debian package ${pkg} (.ci/run does)`);
}
