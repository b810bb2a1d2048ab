// Test harness: fills the ${SB_*} variables of deploy/ templates exactly as `envsubst '$SB_A $SB_B'` does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Repository root (tests run from it, as `npm test` does). */
export const ROOT = process.cwd();

/** The committed deploy file `name` (e.g. `nginx.conf`), read fresh so tests run what is in the tree. */
export function readDeployFile(name: string): string {
  return readFileSync(join(ROOT, 'deploy', name), 'utf8');
}

/** The `${SB_*}` names a template uses, in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(SB_[A-Z0-9_]+)\}/g)].map((m) => m[1]!))];
}

/**
 * Replaces every `${SB_NAME}` with `vars.SB_NAME`, as envsubst does when given that list of names.
 * @throws Error when the template uses a name `vars` lacks (envsubst would leave the text in place and the proxy
 *   would refuse the file later with a less helpful message)
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  const missing = templateVariables(text).filter((name) => vars[name] === undefined);
  if (missing.length > 0) throw new Error(`Cannot render the template: no value for ${missing.join(', ')}`);
  return text.replace(/\$\{(SB_[A-Z0-9_]+)\}/g, (_, name: string) => vars[name]!);
}
