// The client's own close codes: apart from the server's disconnect codes, and the slow-down set by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../src/protocol/index.ts';
import { DisconnectCode, shouldReconnect } from '../../src/messages/index.ts';
import { ClientCloseCode, SLOW_DOWN_CODES } from '../../src/client/close-codes.ts';

test('the client abandons a connection with a code that is not a server code and asks for a reconnect', () => {
  assert.equal(Object.values(DisconnectCode).includes(ClientCloseCode.ABANDONED as never), false);
  assert.equal(shouldReconnect(ClientCloseCode.ABANDONED), true);
  assert.deepEqual(
    [...SLOW_DOWN_CODES].sort(),
    [CloseCode.POLICY_VIOLATION, CloseCode.TRY_AGAIN_LATER, DisconnectCode.RATE_LIMITED].sort(),
  );
});
