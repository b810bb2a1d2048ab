// Realtime: the only module other layers import (the hub, its building blocks and their types).
export { RealtimeServer, type EngineOptions, type RealtimeServerOptions } from './hub.ts';
export { Session, type SessionEnd } from './session.ts';
export type { RealtimeObserver } from './operations.ts';
export { TypingTracker, type TypingOptions } from './typing.ts';
export {
  AUTH_FAILURE_REASONS, createAuthenticator, extractToken, MAX_USER_ID_LENGTH, signToken,
  type AuthFailure, type AuthFailureCode, type AuthFailureReason, type AuthKey, type AuthOptions, type AuthResult,
  type Authenticator, type CredentialSource, type Identity, type SigningKey, type TokenClaims,
} from './auth.ts';
export { TrustedProxies } from '../engine/index.ts';
export { createOriginPolicy, normalizeOrigin, type OriginPolicy, type OriginPolicyOptions } from './origin.ts';
export {
  ConnectionRateLimiter, KeyedRateLimiter, StrikeTracker, TokenBucket,
  type ConnectionRateLimitOptions, type KeyedRateLimitOptions, type StrikeOptions,
} from './rate-limit.ts';
export {
  createNamespaces, Namespaces, NAMESPACE_DEFAULTS, PERSONAL_NAMESPACE, personalChannel, resolveNamespaceConfig,
  type NamespaceConfig, type NamespaceConfigInput, type Operation, type SlowConsumerPolicy,
} from './namespaces.ts';
export { DEFAULT_ROLE_PERMISSIONS, Permissions, type PermissionsOptions, type RolePermissions } from './permissions.ts';
