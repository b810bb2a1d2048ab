// CLI config, settings table: who may connect and do what: token verification, client addresses (trusted proxies, deny-list),
// origins and roles.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { DEFAULT_ROLE_PERMISSIONS } from '../../../realtime/index.ts';
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN, STRING, NULLABLE_STRING, LIST } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const ACCESS_SETTINGS: readonly Setting[] = [
  s(
    'auth.hs256Secret',
    'AUTH__HS256_SECRET',
    STRING,
    'HS256 secret, at least 32 bytes (RFC 7518 §3.2). Prefer the environment or a file to a flag.',
  ),
  s(
    'auth.hs256SecretFile',
    'AUTH__HS256_SECRET_FILE',
    STRING,
    'File holding the HS256 secret (surrounding whitespace is trimmed); not together with auth.hs256Secret.',
  ),
  s(
    'auth.publicKeyFile',
    'AUTH__PUBLIC_KEY_FILE',
    STRING,
    'PEM public key verifying RS256 (RSA) or ES256 (P-256) tokens.',
    { flag: { name: '--public-key-file', arg: '<f>', help: 'PEM public key for RS256/ES256 tokens' } },
  ),
  s('auth.jwksFile', 'AUTH__JWKS_FILE', STRING, 'JWKS file verifying RS256/ES256 tokens by `kid`.', {
    flag: { name: '--jwks-file', arg: '<f>', help: 'JWKS file for RS256/ES256 tokens' },
  }),
  s(
    'auth.privateKeyFile',
    'AUTH__PRIVATE_KEY_FILE',
    STRING,
    'PEM private key used only by `switchboard token` to sign RS256/ES256 tokens (`token --private-key-file`).',
  ),
  s('auth.audience', 'AUTH__AUDIENCE', STRING, 'Required `aud` claim of tokens.'),
  s('auth.issuer', 'AUTH__ISSUER', STRING, 'Required `iss` claim of tokens.'),
  s('auth.clockToleranceMs', 'AUTH__CLOCK_TOLERANCE_MS', INTEGER, 'Clock skew accepted on `exp` and `nbf`, in ms.'),
  s('auth.maxTokenBytes', 'AUTH__MAX_TOKEN_BYTES', INTEGER, 'Longest token accepted, in bytes.'),
  s('auth.rolesClaim', 'AUTH__ROLES_CLAIM', STRING, 'Claim holding the list of roles.'),
  s(
    'auth.userIdClaim',
    'AUTH__USER_ID_CLAIM',
    STRING,
    'Claim holding the user id (a non-empty string of A-Z a-z 0-9 _ - . @ = + , ~ !); a token without it is refused.',
  ),
  s(
    'auth.requireExp',
    'AUTH__REQUIRE_EXP',
    BOOLEAN,
    'Refuse tokens without `exp` (a token that never expires cannot be revoked by time).',
  ),
  s('auth.infoClaim', 'AUTH__INFO_CLAIM', NULLABLE_STRING, 'Claim holding the presence info object; null ignores it.'),
  s('auth.cookieName', 'AUTH__COOKIE_NAME', NULLABLE_STRING, 'Cookie carrying the token; null disables cookie auth.'),
  s('auth.allowQueryToken', 'AUTH__ALLOW_QUERY_TOKEN', BOOLEAN, 'Accept a token in `?token=` on the upgrade URL.'),
  s(
    'auth.connectTimeoutMs',
    'AUTH__CONNECT_TIMEOUT_MS',
    INTEGER,
    'Deadline for a first `connect` message when the upgrade carried no credential, in ms.',
  ),
  s(
    'auth.anonymous.enabled',
    'AUTH__ANONYMOUS__ENABLED',
    BOOLEAN,
    'Let connections without a token in, with auth.anonymous.roles.',
  ),
  s('auth.anonymous.roles', 'AUTH__ANONYMOUS__ROLES', LIST, 'Roles of anonymous connections.'),
  s(
    'trustedProxies',
    'TRUSTED_PROXIES',
    LIST,
    'Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client, for per-address limits and logs; by default no header is believed.',
    {
      flag: { name: '--trust-proxy', arg: '<cidr>', help: 'proxy whose X-Forwarded-For names the client (repeatable)' },
    },
  ),
  s(
    'denyAddresses',
    'DENY_ADDRESSES',
    LIST,
    'Client addresses or CIDR ranges refused with 403 at `/ws` and the pages (resolved through `trustedProxies`; never applied to `/api/*`).',
    { flag: { name: '--deny', arg: '<cidr>', help: 'refuse this client address or range with 403 (repeatable)' } },
  ),
  s(
    'origins',
    'ORIGINS',
    LIST,
    'Browser origins allowed to connect, exact match (AU-01). In development without any, the page origins of the port.',
    { flag: { name: '--origin', arg: '<origin>', help: 'allowed browser origin (repeatable)' } },
  ),
  s(
    'roles.<role>',
    'ROLES__<ROLE>',
    LIST,
    'Operations the role grants (subscribe, publish, history, presence, typing, send, delete, rpc, or * for all). Added to the default roles; `[]` makes a role grant nothing.',
    {
      defaultText: Object.entries(DEFAULT_ROLE_PERMISSIONS)
        .map(([role, operations]) => `${role}: ${operations.join(', ')}`)
        .join('; '),
    },
  ),
  s(
    'authenticatedRoles',
    'AUTHENTICATED_ROLES',
    LIST,
    'Roles every authenticated identity holds besides those of its token.',
  ),
];
