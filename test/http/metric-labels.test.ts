// Every message type of the protocol is its own `type` label value: a new message type is never counted as `other`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_TYPES } from '../../src/http/metric-labels.ts';
import { CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_SCHEMAS } from '../../src/messages/index.ts';

test('every client and server message type is a value of the type label', () => {
  const missing = [...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_SCHEMAS.keys()].filter((t) => !MESSAGE_TYPES.includes(t));
  assert.deepEqual(missing, []);
});
