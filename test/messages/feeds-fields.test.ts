// The feed fields of the protocol (docs/protocol.md: `key`, `subscribed.snapshot`, `subscribed.conflated`,
// `publication.skipped`, the `publications` message): the zod schemas and the hand validator of the browser client
// accept and refuse the same values, and a client `publish` key follows the message-id rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateClientMessage, validateServerMessage, validateServerValue } from '../../src/messages/index.ts';

const pub = { channel: 'prices:fx', epoch: 'E1', offset: 7, data: { bid: 1 }, time: 1, key: 'EUR/USD' };

function agree(value: unknown, accepted: boolean): void {
  const ours = validateServerValue(value);
  const theirs = validateServerMessage(value);
  assert.equal(theirs.ok, accepted, `schemas on ${JSON.stringify(value)}`);
  assert.equal(ours !== null, accepted, `hand validator on ${JSON.stringify(value)}`);
  if (theirs.ok) assert.deepEqual(ours, theirs.message);
}

test('server messages with feed fields: both validators agree on valid ones', () => {
  agree({ type: 'publication', ...pub }, true);
  agree({ type: 'publication', ...pub, skipped: 12 }, true);
  agree({ type: 'publications', publications: [pub, { ...pub, offset: 8, skipped: 3 }] }, true);
  agree(
    {
      type: 'subscribed',
      channel: 'prices:fx',
      epoch: 'E1',
      offset: 8,
      recovered: false,
      publications: [],
      snapshot: [pub],
      conflated: true,
    },
    true,
  );
  // Items of a batch lose a `type` they should not carry (unknown fields are dropped).
  const batch = validateServerValue({ type: 'publications', publications: [{ ...pub, type: 'publication' }, pub] });
  assert.ok(batch !== null && batch.type === 'publications');
  assert.equal(Object.hasOwn(batch.publications[0]!, 'type'), false);
});

test('server messages with bad feed fields: both validators refuse them', () => {
  for (const key of ['', 'a b', 'é', 'x'.repeat(200), 5, null]) agree({ type: 'publication', ...pub, key }, false);
  for (const skipped of [0, -1, 1.5, '3', null]) agree({ type: 'publication', ...pub, skipped }, false);
  agree({ type: 'publications', publications: [] }, false);
  agree({ type: 'publications', publications: [{ ...pub, offset: -1 }] }, false);
  agree({ type: 'publications', publications: 'nope' }, false);
  const subscribed = {
    type: 'subscribed',
    channel: 'prices:fx',
    epoch: 'E1',
    offset: 8,
    recovered: false,
    publications: [],
  };
  agree({ ...subscribed, snapshot: [{ ...pub, key: 'a b' }] }, false);
  agree({ ...subscribed, snapshot: {} }, false);
  agree({ ...subscribed, conflated: 'yes' }, false);
});

test('a client publish key follows the message id rules', () => {
  const publish = { type: 'publish', rid: 1, channel: 'prices:fx', data: 1, id: 'm1' };
  assert.ok(validateClientMessage({ ...publish, key: 'EUR/USD' }).ok);
  assert.ok(validateClientMessage(publish).ok);
  for (const key of ['', 'a b', 'tab\t', 'é', 'x'.repeat(129), 1, null, ['k'], { k: 1 }])
    assert.equal(validateClientMessage({ ...publish, key }).ok, false, `key ${JSON.stringify(key)}`);
  // `send` takes no key (strict schema).
  assert.equal(validateClientMessage({ type: 'send', rid: 1, user: 'bob', data: 1, key: 'a' }).ok, false);
});
