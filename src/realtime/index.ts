// Realtime: the only module other layers import (the hub, its building blocks and their types).
export { RealtimeServer, type EngineOptions, type RealtimeServerOptions } from './hub.ts';
export { TransportAdmission, type AdmitResult } from './transport-admission.ts';
export { Session } from './session.ts';
export type { SessionHost } from './session-host.ts';
export type { RateLimitKind, RealtimeObserver, SessionEnd, SessionInfo } from './observer.ts';
export type { SessionTransport } from './transport.ts';
export { TypingTracker, type TypingOptions } from './typing.ts';
export {
  AUTH_FAILURE_REASONS,
  MAX_USER_ID_LENGTH,
  type AuthFailure,
  type AuthFailureCode,
  type AuthFailureReason,
  type AuthResult,
  type Authenticator,
  type Identity,
} from './auth/identity.ts';
export type { AuthKey } from './auth/keys.ts';
export { createAuthenticator, type AuthOptions } from './auth/verify.ts';
export { signToken, type SigningKey, type TokenClaims } from './auth/sign.ts';
export { extractToken, type CredentialSource } from './auth/credentials.ts';
export { TrustedProxies } from '../engine/index.ts';
export {
  createOriginPolicy,
  normalizeOrigin,
  type OriginPolicy,
  type OriginPolicyOptions,
  type OriginRefusal,
} from './origin.ts';
export { ConnectionRateLimiter, type ConnectionRateLimitOptions } from './connection-rate-limit.ts';
export {
  KeyedRateLimiter,
  StrikeTracker,
  TokenBucket,
  type KeyedRateLimitOptions,
  type StrikeOptions,
} from './rate-limit.ts';
export {
  createNamespaces,
  Namespaces,
  NAMESPACE_DEFAULTS,
  OPERATIONS,
  PERSONAL_NAMESPACE,
  personalChannel,
  resolveNamespaceConfig,
  type NamespaceConfig,
  type NamespaceConfigInput,
  type Operation,
} from './namespaces.ts';
export type { SlowConsumerPolicy } from '../engine/index.ts';
export {
  compilePayloadSchema,
  InvalidPayloadError,
  type PayloadSchema,
  type PayloadValidator,
} from './payload-schema.ts';
export { DEFAULT_ROLE_PERMISSIONS, Permissions, type PermissionsOptions, type RolePermissions } from './permissions.ts';
export {
  REALTIME_EVENT_NAMES,
  RealtimeEvents,
  type ChannelOccupiedEvent,
  type ChannelVacatedEvent,
  type PresenceJoinEvent,
  type PresenceLeaveEvent,
  type PublicationEvent,
  type RealtimeEventMap,
  type RealtimeEventName,
} from './events.ts';
export { RPC_OPERATION } from './permissions.ts';
export type {
  ConnectContext,
  ConnectDecision,
  DisconnectContext,
  LogicCaller,
  PublishContext,
  PublishDecision,
  Refusal,
  RefusalCode,
  RpcContext,
  RpcHandler,
  RpcResult,
  ServerLogic,
  SubscribeContext,
  SubscribeDecision,
} from './logic.ts';
export { LOGIC_FAILURE_REASONS, LOGIC_HOOKS, type LogicFailureReason, type LogicHook } from './logic-failure.ts';
export { REFUSAL_CODES } from './logic-answers.ts';
export { LogicDeadline, LogicDeadlines } from './logic-deadlines.ts';
export {
  isModeratedUser,
  isModerationReason,
  MAX_BAN_MS,
  MAX_MODERATION_REASON_LENGTH,
  Moderation,
  type ModerationHost,
} from './moderation.ts';
export { DocumentRegistry, type DocumentStats } from './documents/registry.ts';
export type { DocumentPeer } from './documents/peer.ts';
