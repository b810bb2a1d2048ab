// Realtime: who may do what on which channel. A pure decision over identity, operation and configuration.
import type { Identity } from './auth/identity.ts';
import {
  isOperation,
  OPERATIONS,
  ROLE_NAME,
  type Namespaces,
  type Operation,
  type ResolvedChannel,
} from './namespaces.ts';

/**
 * Operations a role grants: the channel operations, `rpc` (calling the server logic's methods, no channel involved),
 * and `*`, which grants every operation and every namespace's role requirement (an admin).
 */
export type RolePermissions = Readonly<Record<string, readonly (Operation | typeof RPC_OPERATION | '*')[]>>;

/** The grant that lets a role call `rpc` methods; it names no channel, so namespaces set no roles for it. */
export const RPC_OPERATION = 'rpc';

/** What a chat member does: every operation but deleting others' publications. */
const MEMBER_OPERATIONS: readonly Operation[] = OPERATIONS.filter((op) => op !== 'delete');

/**
 * Default role permissions: `admin` may do everything, `moderator` what a member does plus deleting anyone's
 * publications, `user` everything a chat member does (deleting only their own, and calling `rpc` methods),
 * `anonymous` may only read.
 */
export const DEFAULT_ROLE_PERMISSIONS: RolePermissions = Object.freeze({
  admin: ['*'],
  moderator: [...MEMBER_OPERATIONS, 'delete', RPC_OPERATION],
  user: [...MEMBER_OPERATIONS, RPC_OPERATION],
  anonymous: ['subscribe', 'history', 'presence'],
});

/** Options of {@link Permissions}. */
export interface PermissionsOptions {
  /** @default DEFAULT_ROLE_PERMISSIONS */
  readonly roles?: RolePermissions;
  /**
   * Roles every authenticated (non-anonymous) identity holds in addition to its token's roles.
   * @default ['user'] - a token without a roles claim still lets its holder chat
   */
  readonly authenticatedRoles?: readonly string[];
}

/** Why an operation was refused. `code` is the protocol `ErrorCode` to answer with; `reason` is a metric label. */
export interface PermissionDenied {
  readonly ok: false;
  readonly code: 'invalid_message' | 'not_found' | 'not_available' | 'forbidden';
  readonly reason:
    | 'invalid_channel'
    | 'unknown_namespace'
    | 'publish_disabled'
    | 'history_disabled'
    | 'presence_disabled'
    | 'typing_disabled'
    | 'not_personal'
    | 'personal_channel'
    | 'missing_permission'
    | 'missing_role';
}

/** An allowed operation, with the channel resolved against its namespace: operations read the configuration here. */
export type PermissionGranted = { readonly ok: true } & ResolvedChannel;

/** The outcome of {@link Permissions.can}. */
export type PermissionResult = PermissionGranted | PermissionDenied;

function deny(code: PermissionDenied['code'], reason: PermissionDenied['reason']): PermissionDenied {
  return { ok: false, code, reason };
}

/**
 * Checks each action, not only the connection (OWASP; docs/security-cases.md AU-12). Rules, in order:
 * the channel must parse and its namespace exist; the namespace must enable the feature (client publish,
 * history, presence, typing); personal channels `user:<id>` may be subscribed to, read and watched only by
 * `<id>` and reached by others only with `send`; then one of the identity's roles must grant the operation
 * and, when the namespace lists roles for it, the identity must hold one of them (or a `*` role).
 * @example
 * ```ts
 * const permissions = new Permissions(createNamespaces({ chat: {} }));
 * permissions.can(identity, 'publish', 'chat:lobby'); // { ok: true } or { ok: false, code: 'forbidden', ... }
 * ```
 */
export class Permissions {
  readonly #namespaces: Namespaces;
  readonly #grants: ReadonlyMap<string, ReadonlySet<Operation | typeof RPC_OPERATION | '*'>>;
  readonly #authenticatedRoles: readonly string[];

  /**
   * @param namespaces the namespace registry
   * @param options role permissions
   * @throws RangeError for an unknown operation or a bad role name in `roles`
   */
  constructor(namespaces: Namespaces, options: PermissionsOptions = {}) {
    this.#namespaces = namespaces;
    const grants = new Map<string, Set<Operation | typeof RPC_OPERATION | '*'>>();
    for (const [role, ops] of Object.entries(options.roles ?? DEFAULT_ROLE_PERMISSIONS)) {
      if (!ROLE_NAME.test(role))
        throw new RangeError(`Cannot use role "${role}": expected 1-64 of A-Z a-z 0-9 _ - . :`);
      for (const op of ops) {
        if (op !== '*' && op !== RPC_OPERATION && !isOperation(op))
          throw new RangeError(`Cannot grant "${String(op)}" to role "${role}": not an operation`);
      }
      grants.set(role, new Set(ops));
    }
    this.#grants = grants;
    this.#authenticatedRoles = options.authenticatedRoles ?? ['user'];
  }

  /** The namespaces this instance decides over (a hub refuses permissions built over other ones). */
  get namespaces(): Namespaces {
    return this.#namespaces;
  }

  /**
   * The roles an identity holds once `authenticatedRoles` are added.
   * @param identity the connection's identity
   * @returns its effective roles
   */
  rolesOf(identity: Identity): readonly string[] {
    return identity.anonymous ? identity.roles : [...new Set([...identity.roles, ...this.#authenticatedRoles])];
  }

  /**
   * Whether `identity` may call `rpc` methods: one of its roles grants `rpc` or `*`. Which methods exist, and who may
   * call each, is the server logic's to decide (it sees the caller's roles).
   * @param identity who asks
   */
  canCallRpc(identity: Identity): boolean {
    for (const role of this.rolesOf(identity)) {
      const ops = this.#grants.get(role);
      if (ops !== undefined && (ops.has('*') || ops.has(RPC_OPERATION))) return true;
    }
    return false;
  }

  /**
   * Decides whether `identity` may perform `op` on `channel`. Never throws on client input.
   * @param identity who asks
   * @param op the operation
   * @param channel the channel name as the client sent it (for `send`: the target's personal channel)
   * @returns allowed with the resolved channel and its namespace configuration, or the error code and a bounded reason
   */
  can(identity: Identity, op: Operation, channel: unknown): PermissionResult {
    const resolved = this.#namespaces.resolve(channel);
    if (!resolved.ok) return deny(resolved.code, resolved.reason);
    const { config, owner } = resolved;

    switch (op) {
      case 'publish':
        if (owner !== null) return deny('forbidden', 'personal_channel');
        if (!config.allowClientPublish) return deny('not_available', 'publish_disabled');
        break;
      case 'send':
        if (owner === null) return deny('invalid_message', 'not_personal');
        if (!config.allowClientPublish) return deny('not_available', 'publish_disabled');
        break;
      case 'history':
        if (config.historySize === 0) return deny('not_available', 'history_disabled');
        break;
      case 'presence':
        if (!config.presence) return deny('not_available', 'presence_disabled');
        break;
      case 'typing':
        if (!config.typing) return deny('not_available', 'typing_disabled');
        break;
      case 'subscribe':
        break;
      case 'delete':
        if (config.historySize === 0) return deny('not_available', 'history_disabled');
        break;
      default:
        return deny('forbidden', 'missing_permission');
    }
    // Only the owner reads a personal channel; an admin is no exception (private messages stay private).
    if (owner !== null && op !== 'send' && owner !== identity.user) return deny('forbidden', 'personal_channel');

    const roles = this.rolesOf(identity);
    let superuser = false;
    let granted = false;
    for (const role of roles) {
      const ops = this.#grants.get(role);
      if (ops === undefined) continue;
      if (ops.has('*')) superuser = true;
      if (ops.has('*') || ops.has(op)) granted = true;
    }
    if (!granted) return deny('forbidden', 'missing_permission');
    const required = config.roles[op];
    if (required !== undefined && !superuser && !roles.some((r) => required.includes(r)))
      return deny('forbidden', 'missing_role');
    return resolved;
  }
}
