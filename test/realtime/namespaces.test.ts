// Tests of src/realtime/namespaces.ts: defaults, invariants, channel parsing (AP-09) and the personal channel rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createNamespaces,
  NAMESPACE_DEFAULTS,
  parseChannel,
  PERSONAL_NAMESPACE_DEFAULTS,
  personalChannel,
  resolveNamespaceConfig,
} from '../../src/realtime/namespaces.ts';

test('defaults: history 100, 20 sent on join, presence, join/leave, client publish, typing, close slow consumers', () => {
  const ns = resolveNamespaceConfig('chat', {});
  assert.deepEqual({ ...ns, roles: { ...ns.roles } }, { ...NAMESPACE_DEFAULTS, roles: {} });
  assert.equal(ns.historySize, 100);
  assert.equal(ns.recoverOnJoin, 20);
  assert.equal(ns.slowConsumerPolicy, 'close');
  assert.equal(Object.isFrozen(ns), true);
});

test('configuration errors name the field', () => {
  assert.throws(() => resolveNamespaceConfig('chat', { historySize: -1 }), /chat\.historySize/);
  assert.throws(() => resolveNamespaceConfig('chat', { historySize: 1.5 }), /chat\.historySize/);
  assert.throws(() => resolveNamespaceConfig('chat', { historyTtlMs: 0 }), /chat\.historyTtlMs/);
  assert.throws(() => resolveNamespaceConfig('chat', { historySize: 10, recoverOnJoin: 11 }), /chat\.recoverOnJoin/);
  assert.throws(() => resolveNamespaceConfig('chat', { roles: { purge: ['x'] } as never }), /chat\.roles\.purge/);
  assert.throws(() => resolveNamespaceConfig('chat', { roles: { publish: ['bad role'] } }), /chat\.roles\.publish/);
  assert.throws(() => resolveNamespaceConfig('bad name', {}), /bad name/);
  assert.throws(() => resolveNamespaceConfig('doc', { documentFanoutBatchMs: -1 }), /doc\.documentFanoutBatchMs/);
  assert.throws(() => resolveNamespaceConfig('doc', { documentFanoutBatchMs: 2.5 }), /doc\.documentFanoutBatchMs/);
  assert.equal(resolveNamespaceConfig('doc', { documentFanoutBatchMs: 0 }).documentFanoutBatchMs, 0, '0: off');
  assert.equal(resolveNamespaceConfig('doc', {}).documentFanoutBatchMs, 'auto', 'auto by default');
  assert.throws(
    () => resolveNamespaceConfig('doc', { documentFanoutBatchMs: 'sometimes' as never }),
    /doc\.documentFanoutBatchMs "sometimes": expected an integer >= 0, or auto/,
  );
  assert.equal(
    resolveNamespaceConfig('feed', { historySize: 0, recoverOnJoin: 20 }).historySize,
    0,
    'no history: recoverOnJoin is moot',
  );
});

test('AP-09: parseChannel accepts namespace:name and refuses empty, long, control, glob and namespace-less names', () => {
  assert.deepEqual(parseChannel('chat:lobby'), { namespace: 'chat', name: 'lobby' });
  assert.deepEqual(parseChannel('doc:a:b'), { namespace: 'doc', name: 'a:b' });
  for (const bad of [
    '',
    'lobby',
    ':lobby',
    'chat:',
    'chat:a b',
    'chat:a\nb',
    'chat:*',
    'chat:a?',
    'chat:[ab]',
    'ch at:x',
    `chat:${'x'.repeat(300)}`,
    42,
    null,
    {},
    ['chat:x'],
  ]) {
    assert.equal(parseChannel(bad), null, JSON.stringify(bad));
  }
});

test('personal channels are user:<id>', () => {
  assert.equal(personalChannel('alice'), 'user:alice');
  assert.equal(personalChannel('alice@example.com'), 'user:alice@example.com');
  assert.equal(personalChannel('a b'), null);
  assert.equal(personalChannel(''), null);
});

test('resolve finds the namespace, marks personal channels with their owner, and adds the personal namespace', () => {
  const namespaces = createNamespaces({
    chat: { historySize: 50, recoverOnJoin: 10 },
    feed: { allowClientPublish: false },
  });
  assert.deepEqual(namespaces.names().sort(), ['chat', 'feed', 'user']);
  const chat = namespaces.resolve('chat:lobby');
  assert.ok(chat.ok, 'chat resolves');
  assert.equal(chat.config.historySize, 50);
  assert.equal(chat.owner, null);
  const mine = namespaces.resolve('user:alice');
  assert.ok(mine.ok, 'user resolves');
  assert.equal(mine.owner, 'alice');
  assert.deepEqual(mine.config, PERSONAL_NAMESPACE_DEFAULTS);
  assert.deepEqual(namespaces.resolve('nope:x'), { ok: false, code: 'not_found', reason: 'unknown_namespace' });
  assert.deepEqual(namespaces.resolve('chat:*'), { ok: false, code: 'invalid_message', reason: 'invalid_channel' });
  assert.equal(namespaces.get('feed')?.allowClientPublish, false);
  const custom = createNamespaces({ user: { historySize: 5, recoverOnJoin: 5 } });
  assert.equal(custom.get('user')?.historySize, 5, 'a configured personal namespace wins');
});

test('namespace names that are Object.prototype keys are plain names', () => {
  const namespaces = createNamespaces(
    JSON.parse('{"__proto__":{"historySize":3,"recoverOnJoin":1}}') as Record<string, never>,
  );
  const r = namespaces.resolve('__proto__:x');
  assert.ok(r.ok, 'resolves as a plain namespace');
  assert.equal(r.config.historySize, 3);
  assert.deepEqual(createNamespaces({}).resolve('constructor:x'), {
    ok: false,
    code: 'not_found',
    reason: 'unknown_namespace',
  });
  assert.deepEqual(createNamespaces({}).resolve('toString:x'), {
    ok: false,
    code: 'not_found',
    reason: 'unknown_namespace',
  });
});
