// Integrations: server logic over HTTP (the backend proxy, webhooks, request signatures). The only module other
// layers import; it implements realtime's ServerLogic and subscribes to realtime's events.
export {
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
  type SignatureCheck,
  type SignatureFailure,
  type VerifyOptions,
} from './signature.ts';
export {
  REPLAY_DEFAULTS,
  SignatureReplayGuard,
  type ReplayCheck,
  type ReplayGuardOptions,
} from './replay-guard.ts';
export { API_SIGNATURE_SEPARATOR, apiSignedPayload } from './signature.ts';
export { Webhooks, type WebhooksHealth, type WebhooksOptions } from './webhooks/webhooks.ts';
export {
  WEBHOOK_USER_AGENT,
  type DeadLetterCause,
  type WebhookEndpointStats,
  type WebhookFailure,
  type WebhookObserver,
} from './webhooks/endpoint.ts';
export {
  backoffDelayMs,
  MIN_WEBHOOK_SECRET_LENGTH,
  resolveEndpointOptions,
  WEBHOOK_DEFAULTS,
  type WebhookEndpointOptions,
} from './webhooks/options.ts';
export {
  verifyWebhook,
  WebhookVerificationError,
  type VerifyWebhookOptions,
  type WebhookEvent,
  type WebhookFailureReason,
  type WebhookHeaders,
} from './webhooks/receiver.ts';
export * from './proxy/index.ts';
