// Test helper: installs a packed tarball of this package into an empty project without the network. npm's cache holds
// the dependency tarballs (this repository installed them) but not the registry metadata a plain
// `npm install <tarball>` would ask for, so the project gets a lockfile cut from this repository's own: the runtime
// dependency closure, pinned by integrity, which `npm ci --offline` installs from the cache.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  [key: string]: unknown;
}

/** Where Node would find `name` when required from the package at lockfile path `from` ('' is the project root). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/**
 * Writes `package.json` and `package-lock.json` into `dir` for a project depending only on `tarball` (copied next to
 * them by the caller), with the dependency closure of this repository's lockfile.
 */
export function writeOfflineProject(root: string, dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as LockEntry & {
    name: string;
    version: string;
    bin?: unknown;
    engines?: unknown;
  };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const source = lock.packages;
  const picked: Record<string, LockEntry> = {};
  const queue: [string, Record<string, string>][] = [['', { ...pkg.dependencies, ...pkg.optionalDependencies }]];
  while (queue.length > 0) {
    const [from, deps] = queue.shift()!;
    for (const name of Object.keys(deps)) {
      const path = locate(source, from, name);
      if (path === undefined || picked[path] !== undefined) continue; // an optional dependency this platform skipped
      const { dev: _dev, devOptional: _devOptional, ...entry } = source[path]!;
      picked[path] = entry;
      const required = Object.fromEntries(
        Object.entries(entry.peerDependencies ?? {}).filter(
          ([n]) => entry.peerDependenciesMeta?.[n]?.optional !== true,
        ),
      );
      queue.push([path, { ...entry.dependencies, ...entry.optionalDependencies, ...required }]);
    }
  }
  const file = `file:${basename(tarball)}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: 'switchboard-user', version: '1.0.0', private: true, type: 'module', dependencies: { [pkg.name]: file } },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      {
        name: 'switchboard-user',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'switchboard-user', version: '1.0.0', dependencies: { [pkg.name]: file } },
          [`node_modules/${pkg.name}`]: {
            version: pkg.version,
            resolved: file,
            integrity,
            license: pkg['license'],
            dependencies: pkg.dependencies,
            bin: pkg.bin,
            engines: pkg.engines,
            peerDependencies: pkg.peerDependencies,
            peerDependenciesMeta: pkg.peerDependenciesMeta,
          },
          ...picked,
        },
      },
      null,
      2,
    ),
  );
}
