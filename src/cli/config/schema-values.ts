// CLI config: the zod value types the configuration's sections share: integers with a range, booleans, non-empty
// text, role and namespace names, HTTP paths, operations, origins, and lists of addresses or CIDR ranges.
import { z } from 'zod';
import { normalizeOrigin, OPERATIONS, RPC_OPERATION, TrustedProxies } from '../../realtime/index.ts';

/** An integer from 1 to `max`. */
export const posInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt =>
  z
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' })
    .max(max, { error: `expected an integer at most ${max}` });
/** An integer from 0 to `max`. */
export const nonNegInt = (max = Number.MAX_SAFE_INTEGER): z.ZodInt =>
  z
    .int({ error: 'expected a non-negative integer' })
    .min(0, { error: 'expected a non-negative integer' })
    .max(max, { error: `expected an integer at most ${max}` });
/** `true` or `false`. */
export const bool = (): z.ZodBoolean => z.boolean({ error: 'expected true or false' });
/** A non-empty string; `what` names it in the error. */
export const text = (what = 'a string'): z.ZodString =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
/** A role name: 1-64 of A-Z a-z 0-9 _ - . : */
export const roleName = z
  .string({ error: 'expected a role name' })
  .regex(/^[A-Za-z0-9_\-.:]{1,64}$/, { error: 'expected a role name (1-64 of A-Z a-z 0-9 _ - . :)' });
/** At most 64 role names. */
export const roleList = z.array(roleName, { error: 'expected a list of role names' }).max(64);
/** An HTTP path starting with `/`. */
export const httpPath = z
  .string({ error: 'expected a path' })
  .regex(/^\/[A-Za-z0-9_\-./]*$/, { error: 'expected a path starting with /' });
/** Operations a role may be granted (the realtime layer's `Operation`, `rpc`, plus `*`). */
const OPERATION_NAMES = [...OPERATIONS, RPC_OPERATION, '*'] as const;
/** One operation a role may be granted. */
export const operation = z.enum(OPERATION_NAMES, { error: `expected one of ${OPERATION_NAMES.join(', ')}` });

/** A browser origin as the realtime layer normalizes it. */
export const originString = z.string({ error: 'expected an origin' }).refine(
  (value) => {
    try {
      normalizeOrigin(value);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an origin like https://app.example.com (scheme, host and optional port; no path, no wildcard)' },
);

/** A namespace name: 1-64 of A-Z a-z 0-9 _ - */
export const namespaceName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected a namespace name (1-64 of A-Z a-z 0-9 _ -)' });

/**
 * A list of IP addresses and CIDR ranges, each checked by the matcher that will use it (trusted proxies, deny-list).
 * @param message What a bad entry is told, with examples.
 */
export function addressList(message: string) {
  return z
    .array(
      z.string({ error: 'expected an address or CIDR range' }).refine(
        (entry) => {
          try {
            return new TrustedProxies([entry]).enabled;
          } catch {
            return false;
          }
        },
        { error: message },
      ),
      { error: 'expected a list of addresses' },
    )
    .default([]);
}
