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
export * from './proxy/index.ts';
