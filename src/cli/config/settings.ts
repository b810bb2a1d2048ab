// CLI config: the explicit table of settings (config-file path, environment variable, flag, kind, description).
// The loader reads env and flags through it, docs/configuration.md is generated from it, and
// test/cli/config-settings.test.ts checks that it and the zod schema (schema.ts) name the same leaves. One row is
// described in setting.ts; the rows are grouped by what they configure in settings/, joined here in schema order.
import type { Setting } from './setting.ts';
import { LISTEN_SETTINGS } from './settings/listen.ts';
import { ACCESS_SETTINGS } from './settings/access.ts';
import { LIMIT_SETTINGS } from './settings/limits.ts';
import { NAMESPACE_SETTINGS } from './settings/namespaces.ts';
import { STORAGE_SETTINGS } from './settings/storage.ts';
import { INTEGRATION_SETTINGS } from './settings/integrations.ts';
import { TRANSPORT_SETTINGS } from './settings/transports.ts';

/** Every setting, in the order of the schema. */
export const SETTINGS: readonly Setting[] = Object.freeze([
  ...LISTEN_SETTINGS,
  ...ACCESS_SETTINGS,
  ...LIMIT_SETTINGS,
  ...NAMESPACE_SETTINGS,
  ...STORAGE_SETTINGS,
  ...INTEGRATION_SETTINGS,
  ...TRANSPORT_SETTINGS,
]);
