// Hostile `rpc` inputs against a real hub: prototype-named methods, bad names, oversized and over-deep data,
// floods and batches. Each gets a clear error code and the session (and server) keep working
// (docs/security-cases.md LG-01, LG-03, LG-05).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limits } from '../../src/messages/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

test('methods named like Object.prototype members reach no handler: not_found', async (t) => {
  const hub = await startHub(t);
  hub.hub.rpc('real', () => ({ data: 1 }));
  const alice = await openClient(t, hub, 'alice');
  for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype']) {
    const answer = await alice.request({ type: 'rpc', method });
    assert.deepEqual([answer.type, answer['code']], ['error', 'not_found'], method);
  }
  assert.equal((await alice.request({ type: 'rpc', method: 'real' }))['data'], 1);
});

test('invalid method names are invalid_message with the rid, and a strike, not a close', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  for (const method of ['', 'a b', 'x'.repeat(65), '../../etc/passwd', 'm\u0000', 'm\u202e', 'méthode', 42, null, {}]) {
    const answer = await alice.request({ type: 'rpc', method });
    assert.deepEqual([answer.type, answer['code']], ['error', 'invalid_message'], JSON.stringify(method));
  }
  assert.equal(alice.closeCode, null);
});

test('data past the message size limit is too_large; data nested too deep is bad_request', async (t) => {
  const hub = await startHub(t);
  let calls = 0;
  hub.hub.rpc('m', () => {
    calls++;
    return undefined;
  });
  const alice = await openClient(t, hub, 'alice');
  alice.send({ type: 'rpc', method: 'm', data: 'x'.repeat(Limits.MAX_MESSAGE_SIZE), rid: 1 });
  assert.equal((await alice.next((m) => m.type === 'error'))['code'], 'too_large');
  let deep: unknown = 1;
  for (let i = 0; i < Limits.MAX_DEPTH + 5; i++) deep = [deep];
  alice.send({ type: 'rpc', method: 'm', data: deep, rid: 1 });
  const error = await alice.next((m) => m.type === 'error');
  assert.equal(error['code'], 'bad_request');
  assert.equal(calls, 0, 'the handler never saw them');
  assert.equal((await alice.request({ type: 'rpc', method: 'm' })).type, 'reply');
});

test('an rpc flood is rate limited like any message, batch members counted', async (t) => {
  const hub = await startHub(t, { rateLimit: { messagesPerSecond: 5, messagesBurst: 5 } });
  let calls = 0;
  hub.hub.rpc('m', () => {
    calls++;
    return undefined;
  });
  const alice = await openClient(t, hub, 'alice');
  const messages = Array.from({ length: 20 }, (_, i) => ({ type: 'rpc', method: 'm', rid: i + 1 }));
  alice.send({ type: 'batch', messages });
  const error = await alice.next((m) => m.type === 'error');
  assert.equal(error['code'], 'rate_limited');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(calls < 20, `the handler ran ${calls} times for a rate-limited batch`);
});

test('a handler answering a huge value still gets an answer out and keeps the server alive', async (t) => {
  const hub = await startHub(t);
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  hub.hub.rpc('cyclic', () => ({ data: cyclic }) as never);
  hub.hub.rpc('proto', () => JSON.parse('{"data":{"__proto__":{"polluted":true}}}') as never);
  const alice = await openClient(t, hub, 'alice');
  // A cyclic value nests past the depth limit: garbage, answered internal (no stack overflow, no hang).
  assert.equal((await alice.request({ type: 'rpc', method: 'cyclic' }))['code'], 'internal');
  assert.equal((await alice.request({ type: 'rpc', method: 'proto' }))['code'], 'internal');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal((await alice.request({ type: 'ping' })).type, 'reply');
});
