// Tests of src/realtime/permissions.ts: per-action authorization (docs/security-cases.md AU-12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../src/realtime/auth/identity.ts';
import { createNamespaces } from '../../src/realtime/namespaces.ts';
import { DEFAULT_ROLE_PERMISSIONS, Permissions, type PermissionResult } from '../../src/realtime/permissions.ts';

/** A grant carries the resolved channel (checked on its own below); most tests compare only the verdict. */
function decision(result: PermissionResult): PermissionResult | { ok: true } {
  return result.ok ? { ok: true } : result;
}

function who(user: string, roles: string[] = [], anonymous = false): Identity {
  return { user, roles, info: null, expiresAt: null, anonymous };
}

const namespaces = createNamespaces({
  chat: {},
  feed: { allowClientPublish: false, presence: false, typing: false, historySize: 0 },
  staff: { roles: { subscribe: ['staff'], publish: ['staff'] } },
  doc: { roles: { publish: ['editor'] } },
});
const permissions = new Permissions(namespaces);
const alice = who('alice');
const admin = who('root', ['admin']);
const anon = who('anon-1', ['anonymous'], true);

test('an authenticated user may do everything in an open namespace', () => {
  for (const op of ['subscribe', 'publish', 'history', 'presence', 'typing'] as const) {
    assert.deepEqual(decision(permissions.can(alice, op, 'chat:lobby')), { ok: true }, op);
  }
  assert.deepEqual(permissions.rolesOf(alice), ['user']);
});

test('AU-12: publishing where client publishing is off is not_available; disabled features likewise', () => {
  assert.deepEqual(permissions.can(alice, 'publish', 'feed:prices'), {
    ok: false,
    code: 'not_available',
    reason: 'publish_disabled',
  });
  assert.deepEqual(permissions.can(admin, 'publish', 'feed:prices'), {
    ok: false,
    code: 'not_available',
    reason: 'publish_disabled',
  });
  assert.deepEqual(permissions.can(alice, 'presence', 'feed:prices'), {
    ok: false,
    code: 'not_available',
    reason: 'presence_disabled',
  });
  assert.deepEqual(permissions.can(alice, 'typing', 'feed:prices'), {
    ok: false,
    code: 'not_available',
    reason: 'typing_disabled',
  });
  assert.deepEqual(permissions.can(alice, 'history', 'feed:prices'), {
    ok: false,
    code: 'not_available',
    reason: 'history_disabled',
  });
  assert.deepEqual(decision(permissions.can(alice, 'subscribe', 'feed:prices')), { ok: true });
});

test('AU-12: subscribing to a channel the role cannot read is forbidden', () => {
  assert.deepEqual(permissions.can(alice, 'subscribe', 'staff:room'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_role',
  });
  assert.deepEqual(decision(permissions.can(who('bob', ['staff']), 'subscribe', 'staff:room')), { ok: true });
  assert.deepEqual(
    decision(permissions.can(admin, 'subscribe', 'staff:room')),
    { ok: true },
    'admin (*) satisfies role requirements',
  );
  assert.deepEqual(decision(permissions.can(alice, 'history', 'staff:room')), { ok: true }, 'history lists no role');
  assert.deepEqual(permissions.can(alice, 'publish', 'doc:readme'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_role',
  });
  assert.deepEqual(decision(permissions.can(who('ed', ['editor']), 'publish', 'doc:readme')), { ok: true });
});

test('AU-12: only the owner subscribes to a personal channel, not even an admin; others reach it with send', () => {
  assert.deepEqual(decision(permissions.can(alice, 'subscribe', 'user:alice')), { ok: true });
  assert.deepEqual(decision(permissions.can(alice, 'history', 'user:alice')), { ok: true });
  for (const op of ['subscribe', 'history'] as const) {
    assert.deepEqual(
      permissions.can(who('bob'), op, 'user:alice'),
      { ok: false, code: 'forbidden', reason: 'personal_channel' },
      op,
    );
    assert.deepEqual(
      permissions.can(admin, op, 'user:alice'),
      { ok: false, code: 'forbidden', reason: 'personal_channel' },
      op,
    );
  }
  assert.deepEqual(permissions.can(alice, 'publish', 'user:alice'), {
    ok: false,
    code: 'forbidden',
    reason: 'personal_channel',
  });
  assert.deepEqual(decision(permissions.can(who('bob'), 'send', 'user:alice')), { ok: true });
  assert.deepEqual(permissions.can(who('bob'), 'send', 'chat:lobby'), {
    ok: false,
    code: 'invalid_message',
    reason: 'not_personal',
  });
  assert.deepEqual(permissions.can(who('bob'), 'presence', 'user:alice'), {
    ok: false,
    code: 'not_available',
    reason: 'presence_disabled',
  });
});

test('anonymous identities get only their roles: read-only by default', () => {
  assert.deepEqual(decision(permissions.can(anon, 'subscribe', 'chat:lobby')), { ok: true });
  assert.deepEqual(permissions.can(anon, 'publish', 'chat:lobby'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.deepEqual(permissions.can(anon, 'send', 'user:alice'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.deepEqual(permissions.rolesOf(anon), ['anonymous']);
  const chatty = new Permissions(namespaces, {
    roles: { ...DEFAULT_ROLE_PERMISSIONS, anonymous: ['subscribe', 'publish'] },
  });
  assert.deepEqual(decision(chatty.can(anon, 'publish', 'chat:lobby')), { ok: true });
});

test('roles map to permissions through configuration', () => {
  const custom = new Permissions(namespaces, { roles: { reader: ['subscribe'], boss: ['*'] }, authenticatedRoles: [] });
  assert.deepEqual(custom.can(who('a'), 'subscribe', 'chat:x'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.deepEqual(decision(custom.can(who('a', ['reader']), 'subscribe', 'chat:x')), { ok: true });
  assert.deepEqual(custom.can(who('a', ['reader']), 'publish', 'chat:x'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.deepEqual(decision(custom.can(who('a', ['boss']), 'publish', 'chat:x')), { ok: true });
  assert.deepEqual(custom.can(who('a', ['unknown-role']), 'subscribe', 'chat:x'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.throws(() => new Permissions(namespaces, { roles: { x: ['purge' as never] } }), RangeError);
  assert.throws(() => new Permissions(namespaces, { roles: { 'bad role': ['subscribe'] } }), RangeError);
});

test('AP-09 and unknown namespaces answer with their codes; hostile values never throw', () => {
  assert.deepEqual(permissions.can(alice, 'subscribe', 'nope:x'), {
    ok: false,
    code: 'not_found',
    reason: 'unknown_namespace',
  });
  for (const bad of ['chat:*', 'chat:a\u0000', '', 7, null, { toString: () => 'chat:x' }, ['chat:x']]) {
    assert.deepEqual(permissions.can(alice, 'subscribe', bad), {
      ok: false,
      code: 'invalid_message',
      reason: 'invalid_channel',
    });
  }
  assert.deepEqual(permissions.can(alice, 'delete' as never, 'chat:x'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
  assert.deepEqual(
    decision(permissions.can(who('x', ['__proto__', 'constructor']), 'publish', 'chat:x')),
    { ok: true },
    'authenticatedRoles still grant user',
  );
  const none = new Permissions(namespaces, { authenticatedRoles: [] });
  assert.deepEqual(none.can(who('x', ['__proto__', 'constructor', 'toString']), 'subscribe', 'chat:x'), {
    ok: false,
    code: 'forbidden',
    reason: 'missing_permission',
  });
});

test('a grant carries the resolved channel and its namespace configuration, so callers do not resolve it again', () => {
  const namespaces = createNamespaces({ chat: { historySize: 7, recoverOnJoin: 5 } });
  const permissions = new Permissions(namespaces);
  const granted = permissions.can(who('alice'), 'history', 'chat:lobby:2');
  assert.ok(granted.ok);
  assert.equal(granted.channel, 'chat:lobby:2');
  assert.equal(granted.namespace, 'chat');
  assert.equal(granted.name, 'lobby:2');
  assert.equal(granted.owner, null);
  assert.equal(granted.config, namespaces.get('chat'));
  assert.equal(granted.config.historySize, 7);
  const personal = permissions.can(who('alice'), 'subscribe', 'user:alice');
  assert.ok(personal.ok);
  assert.equal(personal.owner, 'alice');
  assert.equal(permissions.namespaces, namespaces);
});
