// CLI: the `switchboard serve` configuration: defaults < config file < SWITCHBOARD_* environment < flags.
// The pieces live in config/ (schema, settings table, dev config, layers, loading); this module is what the
// commands import, plus turning a loaded configuration into keys and URLs.
import { readFile } from 'node:fs/promises';
import type { AuthKey, AuthOptions, NamespaceConfig, SigningKey } from '../realtime/index.ts';
import { ConfigError } from './config/config-error.ts';
import type { ServerConfig } from './config/schema.ts';
import { parseJwks } from './keys.ts';

export { ConfigError, type ConfigIssue } from './config/config-error.ts';
export { DEV_API_KEY, DEV_CONFIG, DEV_SECRET } from './config/dev-config.ts';
export {
  loadAuthConfig,
  loadConfig,
  SERVE_FLAGS_HELP,
  wantsHelp,
  type LoadConfigOptions,
  type LoadedAuthConfig,
  type LoadedConfig,
} from './config/load.ts';
export { AuthConfigSchema, type AuthConfig } from './config/auth-schema.ts';
export { NamespaceConfigSchema } from './config/namespace-schema.ts';
export {
  ServerConfigSchema,
  ServerSettingsSchema,
  type ServerConfig,
  type ServerConfigInput,
} from './config/schema.ts';
export { NON_SETTING_VARIABLES } from './config/non-setting-variables.ts';
export { SETTING_KINDS, type Setting, type SettingKind } from './config/setting.ts';
export { SETTINGS } from './config/settings.ts';

// ---------------------------------------------------------------------------------------------- helpers for serve/token

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([{ path: what, message: `cannot read "${file}"`, source: undefined }], { cause });
  }
}

/**
 * Builds the realtime authenticator's options from the configuration, reading key files.
 * @param config a loaded configuration
 * @returns options for `createAuthenticator`
 * @throws ConfigError when a key file cannot be read
 */
export async function authOptionsFrom(config: ServerConfig): Promise<AuthOptions> {
  const a = config.auth;
  const keys: AuthKey[] = [];
  if (a.hs256Secret !== undefined) keys.push({ type: 'secret', secret: a.hs256Secret });
  if (a.hs256SecretFile !== undefined)
    keys.push({ type: 'secret', secret: (await readText(a.hs256SecretFile, 'auth.hs256SecretFile')).trim() });
  if (a.publicKeyFile !== undefined)
    keys.push({ type: 'pem', pem: await readText(a.publicKeyFile, 'auth.publicKeyFile') });
  if (a.jwksFile !== undefined)
    keys.push({ type: 'jwks', jwks: parseJwks(await readText(a.jwksFile, 'auth.jwksFile'), a.jwksFile) });
  return {
    keys,
    clockToleranceMs: a.clockToleranceMs,
    maxTokenBytes: a.maxTokenBytes,
    rolesClaim: a.rolesClaim,
    userIdClaim: a.userIdClaim,
    requireExp: a.requireExp,
    infoClaim: a.infoClaim,
    ...(a.audience !== undefined ? { audience: a.audience } : {}),
    ...(a.issuer !== undefined ? { issuer: a.issuer } : {}),
    ...(a.anonymous.enabled ? { anonymousRoles: a.anonymous.roles } : {}),
  };
}

/**
 * The namespaces' configurations for the realtime layer, each `payloadSchemaFile` read and parsed into its
 * `payloadSchema` (realtime does no file I/O). The schemas are compiled later, by `createNamespaces`.
 * @param config a loaded configuration
 * @returns the namespace configurations by name
 * @throws ConfigError naming `namespaces.<name>.payloadSchemaFile` when a file cannot be read or holds no JSON object
 */
export async function namespaceConfigsFrom(config: ServerConfig): Promise<Record<string, NamespaceConfig>> {
  const out: Record<string, NamespaceConfig> = {};
  for (const [name, { payloadSchemaFile, ...ns }] of Object.entries(config.namespaces)) {
    if (payloadSchemaFile === undefined) {
      out[name] = ns;
      continue;
    }
    const where = `namespaces.${name}.payloadSchemaFile`;
    let schema: unknown;
    try {
      schema = JSON.parse(await readText(payloadSchemaFile, where));
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
      throw new ConfigError([{ path: where, message: `"${payloadSchemaFile}" is not valid JSON`, source: undefined }], {
        cause,
      });
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
      throw new ConfigError([
        { path: where, message: `"${payloadSchemaFile}" does not hold a JSON Schema object`, source: undefined },
      ]);
    out[name] = { ...ns, payloadSchema: schema as Record<string, unknown> };
  }
  return out;
}

/**
 * The key `switchboard token` signs with: the private key file if configured, else the HS256 secret.
 * @param config a loaded configuration
 * @returns the signing key, or null when the configuration has no key that can sign
 * @throws ConfigError when a key file cannot be read
 */
export async function signingKeyFrom(config: Pick<ServerConfig, 'auth'>): Promise<SigningKey | null> {
  const a = config.auth;
  if (a.privateKeyFile !== undefined)
    return { type: 'pem', pem: await readText(a.privateKeyFile, 'auth.privateKeyFile') };
  if (a.hs256Secret !== undefined) return { type: 'secret', secret: a.hs256Secret };
  if (a.hs256SecretFile !== undefined)
    return { type: 'secret', secret: (await readText(a.hs256SecretFile, 'auth.hs256SecretFile')).trim() };
  return null;
}

/**
 * The URLs a listening server announces.
 * @param config the configuration (host, paths, tls)
 * @param port the bound port (after listening, so port 0 is resolved)
 * @returns the page URL and the WebSocket URL
 */
export function listeningUrls(config: ServerConfig, port: number): { readonly http: string; readonly ws: string } {
  const host =
    config.host === '0.0.0.0' || config.host === '::'
      ? 'localhost'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  const secure = config.tls !== null;
  return {
    http: `${secure ? 'https' : 'http'}://${host}:${port}/`,
    ws: `${secure ? 'wss' : 'ws'}://${host}:${port}${config.paths.ws}`,
  };
}
