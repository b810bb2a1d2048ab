// WebSocketServer#reserveConnection: connections of other kinds (HTTP event streams) share the WebSocket caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from '../../src/engine/index.ts';

test('reservations count against maxConnectionsPerIp and maxConnections; release frees once, however often called', () => {
  const wss = new WebSocketServer({ noServer: true, maxConnections: 3, maxConnectionsPerIp: 2 });
  const a1 = wss.reserveConnection('10.0.0.1');
  const a2 = wss.reserveConnection('10.0.0.1');
  assert.ok(a1.ok && a2.ok);
  assert.deepEqual(wss.reserveConnection('10.0.0.1'), { ok: false, cap: 'ip' });
  const b1 = wss.reserveConnection('10.0.0.2');
  assert.ok(b1.ok);
  assert.deepEqual(wss.reserveConnection('10.0.0.3'), { ok: false, cap: 'global' });
  a1.release();
  a1.release();
  const a3 = wss.reserveConnection('10.0.0.1');
  assert.ok(a3.ok, 'the released slot is free again');
  assert.deepEqual(wss.reserveConnection('10.0.0.3'), { ok: false, cap: 'global' }, 'a double release freed only one');
});
