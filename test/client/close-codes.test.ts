// The client's named close codes agree with the protocol layer's registry and the server's disconnect codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode } from '../../src/protocol/index.ts';
import { DisconnectCode, shouldReconnect } from '../../src/messages/index.ts';
import { ClientCloseCode, RfcCloseCode, SLOW_DOWN_CODES } from '../../src/client/close-codes.ts';

test('every RFC 6455 code the client names has the same name and value in the protocol CloseCode registry', () => {
  for (const [name, code] of Object.entries(RfcCloseCode)) assert.equal((CloseCode as Record<string, number>)[name], code, name);
});

test('the client abandons a connection with a code that is not a server code and asks for a reconnect', () => {
  assert.equal(Object.values(DisconnectCode).includes(ClientCloseCode.ABANDONED as never), false);
  assert.equal(shouldReconnect(ClientCloseCode.ABANDONED), true);
  assert.deepEqual([...SLOW_DOWN_CODES].sort(), [CloseCode.POLICY_VIOLATION, CloseCode.TRY_AGAIN_LATER, DisconnectCode.RATE_LIMITED].sort());
});
