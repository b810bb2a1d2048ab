// Tests of src/realtime/subscription-table.ts: the table answers as a Map would, whatever the sequence of operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Subscription } from '../../src/realtime/subscription.ts';
import { SubscriptionTable } from '../../src/realtime/subscription-table.ts';

test('a subscription table agrees with a Map on get, has, set, delete, size and key order', () => {
  const channel = fc.constantFrom('a', 'b', 'c', 'd');
  const op = fc.oneof(
    fc.tuple(fc.constant('set' as const), channel, fc.integer()),
    fc.tuple(fc.constant('delete' as const), channel, fc.constant(0)),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const table = new SubscriptionTable();
      const model = new Map<string, Subscription>();
      for (const [kind, name, value] of ops) {
        const subscription = { value } as unknown as Subscription;
        if (kind === 'set') {
          assert.equal(table.set(name, subscription), table);
          model.set(name, subscription);
        } else {
          assert.equal(table.delete(name), model.delete(name));
        }
        assert.equal(table.size, model.size);
        assert.deepEqual([...table.keys()], [...model.keys()]);
        for (const probe of ['a', 'b', 'c', 'd']) {
          assert.equal(table.has(probe), model.has(probe));
          assert.equal(table.get(probe), model.get(probe));
        }
      }
    }),
  );
});
