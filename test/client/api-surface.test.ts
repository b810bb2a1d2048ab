// The client's internals stay internal: a Subscription exposes no underscore members, and the seam the client drives
// it through is not exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sdk from '../../src/client/index.ts';

test('Subscription has no underscore-prefixed or relay members; the control seam is not part of the public API', () => {
  const members = Object.getOwnPropertyNames(sdk.Subscription.prototype);
  assert.deepEqual(
    members.filter((m) => m.startsWith('_') || m === 'emitGap'),
    [],
  );
  assert.ok(members.includes('subscribe') && members.includes('unsubscribe'), 'the public methods are there');
  assert.equal('subscriptionControl' in sdk, false);
  assert.equal('SubscriptionRegistry' in sdk, false);
});
