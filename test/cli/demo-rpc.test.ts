// The demo RPC methods of `serve --dev` (src/cli/demo-rpc.ts), called as the hub calls them: `roll` with good and
// bad dice, `who` over a real MemoryBroker's presence with the development configuration's permissions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryBroker } from '../../src/broker/index.ts';
import { loadConfig } from '../../src/cli/config.ts';
import { createDemoRpc, registerDemoRpc, ROLL_LIMITS, roll, WHO_MAX_USERS } from '../../src/cli/demo-rpc.ts';
import type { JsonValue } from '../../src/messages/index.ts';
import {
  createAuthenticator,
  createNamespaces,
  Permissions,
  RealtimeServer,
  type RpcContext,
} from '../../src/realtime/index.ts';

function caller(user: string, data: JsonValue, method = 'who'): RpcContext {
  const anonymous = user.startsWith('anon-');
  return {
    client: 'c'.repeat(32),
    user,
    anonymous,
    roles: anonymous ? ['anonymous'] : ['user'],
    info: null,
    remoteAddress: '127.0.0.1',
    transport: 'websocket',
    method,
    data,
  };
}

async function devMethods(t: { after(fn: () => unknown): void }) {
  const { config } = await loadConfig({ argv: ['--dev'], env: {} });
  const namespaces = createNamespaces(config.namespaces);
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const permissions = new Permissions(namespaces, {
    roles: config.roles,
    authenticatedRoles: config.authenticatedRoles,
  });
  return { broker, methods: createDemoRpc({ broker, permissions }) };
}

function refusalOf(result: unknown): { code: string; message: string } {
  assert.ok(
    typeof result === 'object' && result !== null && 'refuse' in result,
    `expected a refusal: ${JSON.stringify(result)}`,
  );
  return (result as { refuse: { code: string; message: string } }).refuse;
}

function dataOf(result: unknown): Record<string, JsonValue> {
  assert.ok(
    typeof result === 'object' && result !== null && 'data' in result,
    `expected data: ${JSON.stringify(result)}`,
  );
  return (result as { data: Record<string, JsonValue> }).data;
}

test('roll: any count and sides in range give that many dice, each within 1..sides, and their total', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: ROLL_LIMITS.MIN_SIDES, max: ROLL_LIMITS.MAX_SIDES }),
      fc.integer({ min: ROLL_LIMITS.MIN_COUNT, max: ROLL_LIMITS.MAX_COUNT }),
      (sides, count) => {
        const data = dataOf(roll({ sides, count }));
        const rolls = data['rolls'] as number[];
        assert.equal(rolls.length, count);
        for (const r of rolls) assert.ok(Number.isInteger(r) && r >= 1 && r <= sides, `${r} of d${sides}`);
        assert.equal(
          data['total'],
          rolls.reduce((a, b) => a + b, 0),
        );
        assert.equal(data['sides'], sides);
        assert.equal(data['count'], count);
      },
    ),
  );
});

test('roll: no data, null or {} is one six-sided die; each field defaults on its own', () => {
  for (const data of [null, {}]) {
    const d = dataOf(roll(data));
    assert.equal(d['sides'], 6);
    assert.equal((d['rolls'] as number[]).length, 1);
  }
  assert.equal((dataOf(roll({ count: 3 }))['rolls'] as number[]).length, 3);
  assert.equal(dataOf(roll({ sides: 20 }))['sides'], 20);
});

test('roll: the dice are drawn over the whole range (every face of a d6 comes up in 600 throws)', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 30; i++) for (const r of dataOf(roll({ sides: 6, count: 20 }))['rolls'] as number[]) seen.add(r);
  assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5, 6]);
});

test('roll: bad input is refused with invalid_message saying what is wrong, and nothing is rolled', () => {
  const cases: [JsonValue, RegExp][] = [
    ['2d6', /data must be an object/],
    [[2, 6], /data must be an object/],
    [7, /data must be an object/],
    [{ sides: 6, count: 2, extra: true }, /unknown field "extra"/],
    [{ sides: 1 }, /"sides" must be an integer from 2 to 1000/],
    [{ sides: 0, count: 0 }, /"sides" must be an integer from 2 to 1000/],
    [{ sides: 1001 }, /"sides" must be an integer from 2 to 1000/],
    [{ sides: 6.5 }, /"sides" must be an integer/],
    [{ sides: '6' }, /"sides" must be an integer/],
    [{ sides: null }, /"sides" must be an integer/],
    [{ count: 0 }, /"count" must be an integer from 1 to 20/],
    [{ count: 21 }, /"count" must be an integer from 1 to 20/],
    [{ count: -1 }, /"count" must be an integer/],
    [{ count: 1e300 }, /"count" must be an integer/],
  ];
  for (const [data, message] of cases) {
    const refusal = refusalOf(roll(data, () => assert.fail('no die is rolled for bad input')));
    assert.equal(refusal.code, 'invalid_message', JSON.stringify(data));
    assert.match(refusal.message, message, JSON.stringify(data));
    assert.ok(refusal.message.length <= 256);
  }
});

test('who: the users present in a channel, sorted, with their connection counts', async (t) => {
  const { broker, methods } = await devMethods(t);
  await broker.addPresence('chat:general', { connection: 'c1', user: 'bob' });
  await broker.addPresence('chat:general', { connection: 'c2', user: 'alice' });
  await broker.addPresence('chat:general', { connection: 'c3', user: 'bob' });
  await broker.addPresence('chat:other', { connection: 'c4', user: 'carol' });
  const data = dataOf(await methods.who(caller('alice', { channel: 'chat:general' })));
  assert.deepEqual(data, {
    channel: 'chat:general',
    users: [
      { user: 'alice', connections: 1 },
      { user: 'bob', connections: 2 },
    ],
    total: 2,
  });
  // Anonymous users may read presence in the development configuration, as the chat page's guests do.
  const anon = dataOf(await methods.who(caller(`anon-${'a'.repeat(32)}`, { channel: 'chat:empty' })));
  assert.deepEqual(anon, { channel: 'chat:empty', users: [], total: 0 });
});

test('who: refused as the presence message is (bad name, unknown namespace, presence off)', async (t) => {
  const { broker, methods } = await devMethods(t);
  await broker.addPresence('user:bob', { connection: 'c1', user: 'bob' });
  const cases: [JsonValue, string][] = [
    [{ channel: 'no namespace here!' }, 'invalid_message'],
    [{ channel: 'nowhere:room' }, 'not_found'],
    // The development `feed` namespace has presence off, and so have personal channels, even for their owner.
    [{ channel: 'feed:prices' }, 'not_available'],
    [{ channel: 'user:bob' }, 'not_available'],
  ];
  for (const [data, code] of cases) {
    for (const user of ['alice', 'bob']) {
      const refusal = refusalOf(await methods.who(caller(user, data)));
      assert.equal(refusal.code, code, JSON.stringify(data));
      assert.match(refusal.message, /^who: cannot read the presence of this channel/);
    }
  }
});

test("who: a namespace whose presence needs a role is forbidden to others and open to the role's holders", async (t) => {
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const namespaces = createNamespaces({ staff: { presence: true, roles: { presence: ['admin'] } } });
  const { who } = createDemoRpc({ broker, permissions: new Permissions(namespaces) });
  await broker.addPresence('staff:room', { connection: 'c1', user: 'root' });
  const refusal = refusalOf(await who(caller('alice', { channel: 'staff:room' })));
  assert.equal(refusal.code, 'forbidden');
  const admin = { ...caller('root', { channel: 'staff:room' }), roles: ['admin'] };
  assert.deepEqual(dataOf(await who(admin))['users'], [{ user: 'root', connections: 1 }]);
});

test('who: data other than { channel: string } is invalid_message', async (t) => {
  const { methods } = await devMethods(t);
  for (const data of [null, 'chat:general', ['chat:general'], {}, { channel: 7 }, { channel: 'chat:a', more: 1 }]) {
    const refusal = refusalOf(await methods.who(caller('alice', data)));
    assert.equal(refusal.code, 'invalid_message', JSON.stringify(data));
    assert.match(refusal.message, /who: data must be \{ channel/);
  }
});

test(`who: a crowded channel lists the first ${WHO_MAX_USERS} users and says how many there are`, async (t) => {
  const { broker, methods } = await devMethods(t);
  const crowd = WHO_MAX_USERS + 25;
  for (let i = 0; i < crowd; i++)
    await broker.addPresence('chat:crowd', { connection: `c${i}`, user: `u${String(i).padStart(3, '0')}` });
  const data = dataOf(await methods.who(caller('alice', { channel: 'chat:crowd' })));
  assert.equal((data['users'] as unknown[]).length, WHO_MAX_USERS);
  assert.equal(data['total'], crowd);
  assert.deepEqual((data['users'] as { user: string }[])[0], { user: 'u000', connections: 1 });
});

test('who: a broker that fails is backend_unavailable (retryable), not a crash', async () => {
  const { config } = await loadConfig({ argv: ['--dev'], env: {} });
  const closed = new MemoryBroker();
  await closed.close();
  const namespaces = createNamespaces(config.namespaces);
  const who = createDemoRpc({
    broker: closed,
    permissions: new Permissions(namespaces, { roles: config.roles }),
  }).who;
  const refusal = refusalOf(await who(caller('alice', { channel: 'chat:general' })));
  assert.equal(refusal.code, 'backend_unavailable');
});

test("registerDemoRpc registers roll and who, except a name the application's logic module already has", async (t) => {
  const { broker } = await devMethods(t);
  const namespaces = createNamespaces({ chat: {} });
  const permissions = new Permissions(namespaces);
  const hub = async () => {
    const server = new RealtimeServer({
      broker,
      namespaces,
      permissions,
      authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['user'] }),
    });
    t.after(() => server.drain({ timeoutMs: 100 }));
    return server;
  };
  const all = await hub();
  registerDemoRpc(all, { broker, permissions });
  // A name registered twice is a TypeError: both demo names are taken now.
  assert.throws(() => all.rpc('roll', () => undefined), TypeError);
  assert.throws(() => all.rpc('who', () => undefined), TypeError);

  const some = await hub();
  const mine = () => ({ data: 'mine' });
  some.rpc('roll', mine);
  registerDemoRpc(some, { broker, permissions }, new Map([['roll', mine]]));
  assert.throws(() => some.rpc('who', () => undefined), TypeError);
});
