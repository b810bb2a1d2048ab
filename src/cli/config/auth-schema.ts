// CLI config: the zod schema of the `auth` section (token verification, and signing by `switchboard token`).
import { z } from 'zod';
import { bool, nonNegInt, posInt, roleList, text } from './schema-values.ts';

/** The `auth` section: how tokens are verified (and signed by `switchboard token`). Descriptions: settings.ts. */
export const AuthConfigSchema = z
  .strictObject({
    hs256Secret: z
      .string({ error: 'expected a string' })
      .refine((s) => new TextEncoder().encode(s).byteLength >= 32, {
        error: 'expected at least 32 bytes (RFC 7518 §3.2)',
      })
      .optional(),
    hs256SecretFile: text('a file path').optional(),
    publicKeyFile: text('a file path').optional(),
    jwksFile: text('a file path').optional(),
    privateKeyFile: text('a file path').optional(),
    audience: text().optional(),
    issuer: text().optional(),
    clockToleranceMs: nonNegInt(300_000).default(5000),
    maxTokenBytes: posInt(65_536).default(8192),
    rolesClaim: text().default('roles'),
    userIdClaim: text('a claim name').default('sub'),
    requireExp: bool().default(true),
    infoClaim: text().nullable().default('info'),
    cookieName: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/, { error: 'expected a cookie name' })
      .nullable()
      .default(null),
    allowQueryToken: bool().default(true),
    connectTimeoutMs: posInt(60_000).default(5000),
    anonymous: z.strictObject({ enabled: bool().default(false), roles: roleList.default(['anonymous']) }).prefault({}),
  })
  .superRefine((a, ctx) => {
    if (a.hs256Secret !== undefined && a.hs256SecretFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hs256SecretFile'],
        message: 'set either hs256Secret or hs256SecretFile, not both',
      });
    }
  });

/** The validated `auth` section. */
export type AuthConfig = z.output<typeof AuthConfigSchema>;
