// CLI config: the zod schema of one webhook endpoint of the `webhooks` setting.
import { z } from 'zod';
import { REALTIME_EVENT_NAMES } from '../../realtime/index.ts';
import { posInt } from './schema-values.ts';

/** One webhook endpoint (src/integrations/webhooks): where, with which secret, which events, delivery limits. */
export const WebhookEndpointSchema = z
  .strictObject({
    url: z
      .string({ error: 'expected a URL' })
      .regex(/^https?:\/\/[^\s]+$/, { error: 'expected an http:// or https:// URL' })
      .refine((u) => URL.canParse(u), { error: 'expected an http:// or https:// URL' }),
    secret: z.string({ error: 'expected a string' }).min(16, { error: 'expected at least 16 characters' }).optional(),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'expected the name of an environment variable' })
      .optional(),
    events: z
      .array(
        z.enum(REALTIME_EVENT_NAMES as [string, ...string[]], {
          error: `expected one of ${REALTIME_EVENT_NAMES.join(', ')}`,
        }),
      )
      .min(1, { error: 'expected at least one event' }),
    maxBatchSize: posInt(10_000).optional(),
    maxWaitMs: posInt(600_000).optional(),
    maxQueuedEvents: posInt(10_000_000).optional(),
    maxQueuedBytes: posInt(4 * 1024 * 1024 * 1024).optional(),
    timeoutMs: posInt(600_000).optional(),
    maxAttempts: posInt(1_000_000).optional(),
    initialBackoffMs: posInt(3_600_000).optional(),
    maxBackoffMs: posInt(86_400_000).optional(),
  })
  .refine((w) => (w.secret === undefined) !== (w.secretEnv === undefined), {
    error: 'set either secret or secretEnv (the variable holding it), not both',
    path: ['secret'],
  });
