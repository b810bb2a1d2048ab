// CLI: the `webhooks` section of the serve configuration as delivery options, with secrets read from the environment.
import { resolveEndpointOptions, type WebhookEndpointOptions } from '../integrations/index.ts';
import type { RealtimeEventName } from '../realtime/index.ts';
import type { ServerConfig } from './config/schema.ts';

/**
 * Builds the webhook endpoints of a validated configuration, reading `secretEnv` secrets from the environment.
 * @param config The validated configuration.
 * @param env The environment.
 * @returns The endpoints, or the problem to report (an unset or too short variable, backoff bounds reversed).
 */
export function webhookEndpointsFrom(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
): { readonly endpoints: WebhookEndpointOptions[] } | { readonly error: string } {
  const endpoints: WebhookEndpointOptions[] = [];
  for (const [i, { secret, secretEnv, events, ...delivery }] of config.webhooks.entries()) {
    const value = secret ?? (secretEnv === undefined ? undefined : env[secretEnv]);
    if (value === undefined || value.length < 16) {
      return { error: `webhooks[${i}].secretEnv: ${secretEnv} is unset or shorter than 16 characters` };
    }
    // zod leaves an unset option out; dropping undefined ones keeps the delivery defaults for them.
    const set = Object.fromEntries(Object.entries(delivery).filter(([, v]) => v !== undefined)) as Omit<
      WebhookEndpointOptions,
      'secret' | 'events'
    >;
    const endpoint: WebhookEndpointOptions = { ...set, secret: value, events: events as RealtimeEventName[] };
    try {
      resolveEndpointOptions(endpoint);
    } catch (err) {
      return { error: `webhooks[${i}]: ${err instanceof Error ? err.message : String(err)}` };
    }
    endpoints.push(endpoint);
  }
  return { endpoints };
}
