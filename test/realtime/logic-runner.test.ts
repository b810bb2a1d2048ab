// The logic runner on its own: whatever a hook answers (any value, sync or async, throw or not), every call settles
// with a value to go on with, a refusal, or `internal`; it never rejects, and nothing stays pending.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REFUSAL_CODES } from '../../src/realtime/logic-answers.ts';
import { LogicRunner } from '../../src/realtime/logic-runner.ts';
import type { LogicFailureReason, LogicHook, ServerLogic } from '../../src/realtime/index.ts';

const CALLER = {
  client: 'c'.repeat(32),
  user: 'alice',
  anonymous: false,
  roles: ['user'],
  info: null,
  remoteAddress: '127.0.0.1',
  transport: 'websocket',
};

/** What a call may be answered with: the refusal codes, `internal`, and the runner's own `not_found` and `too_large`. */
const ANSWER_CODES: ReadonlySet<string> = new Set([...REFUSAL_CODES, 'internal']);

/** A reserved key (`__proto__`, `constructor`, `prototype`) anywhere in JSON text. */
const RESERVED_KEY = /"(__proto__|constructor|prototype)":/;

function runner(logic: ServerLogic, failures: [LogicHook, LogicFailureReason][] = []): LogicRunner {
  return new LogicRunner([logic], {
    timeoutMs: 50,
    maxDataBytes: 65_536,
    observer: { logicFailed: (hook, reason) => failures.push([hook, reason]) },
  });
}

test('any answer of any hook settles: accepted, refused with a RefusalCode, or internal (never a rejection)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.anything(), fc.boolean(), async (answer, async) => {
      const failures: [LogicHook, LogicFailureReason][] = [];
      const hook = () => (async ? Promise.resolve(answer) : answer);
      const r = runner(
        { onConnect: hook, onSubscribe: hook, onPublish: hook, rpc: hook } as unknown as ServerLogic,
        failures,
      );
      const outcomes = [
        await r.connect('onConnect', { ...CALLER, expiresAt: null }),
        await r.subscribe({ ...CALLER, channel: 'chat:a', namespace: 'chat' }),
        await r.publish({ ...CALLER, channel: 'chat:a', namespace: 'chat', data: 1 }),
        await r.rpc({ ...CALLER, method: 'm', data: null }),
      ];
      for (const outcome of outcomes) {
        if (outcome.ok) continue;
        assert.ok(ANSWER_CODES.has(outcome.code), outcome.code);
        assert.ok(outcome.message.length <= 256);
        if (outcome.code === 'internal') assert.equal(outcome.message, 'Internal server error');
      }
      assert.ok(failures.every(([, reason]) => reason === 'invalid'));
      assert.equal(r.inFlight, 0);
    }),
    { numRuns: 300 },
  );
});

test('a JSON answer of the right shape is taken as is: { data } replaces, { info } attaches', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.jsonValue({ maxDepth: 5 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
      async (data, info) => {
        const text = JSON.stringify({ data, info });
        // Reserved keys are refused anywhere in a message, so they are garbage in an answer too (checked below).
        fc.pre(!RESERVED_KEY.test(text));
        const clean = JSON.parse(text) as { data: unknown; info: Record<string, unknown> };
        const r = runner({ onPublish: () => ({ data: clean.data }) as never, onConnect: () => ({ info: clean.info }) });
        const published = await r.publish({ ...CALLER, channel: 'chat:a', namespace: 'chat', data: 0 });
        if (clean.data === undefined) assert.deepEqual(published, { ok: true, value: 0 });
        else assert.deepEqual(published, { ok: true, value: clean.data });
        const connected = await r.connect('onConnect', { ...CALLER, expiresAt: null });
        assert.ok(connected.ok);
        assert.deepEqual({ ...connected.value }, Object.keys(clean.info).length === 0 ? {} : clean.info);
      },
    ),
    { numRuns: 500 },
  );
});

test('an answer holding a reserved key anywhere is garbage: internal', async () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const failures: [LogicHook, LogicFailureReason][] = [];
    const value = JSON.parse(`{"a":[{"${key}":{"x":1}}]}`) as never;
    const r = runner({ onPublish: () => ({ data: value }), onConnect: () => ({ info: value }) }, failures);
    const published = await r.publish({ ...CALLER, channel: 'chat:a', namespace: 'chat', data: 0 });
    const connected = await r.connect('onConnect', { ...CALLER, expiresAt: null });
    assert.deepEqual([published.ok, connected.ok], [false, false], key);
    assert.deepEqual(failures, [
      ['onPublish', 'invalid'],
      ['onConnect', 'invalid'],
    ]);
  }
});

test('a hook that never settles is a timeout after the deadline, and leaves nothing in flight', async () => {
  const failures: [LogicHook, LogicFailureReason][] = [];
  const r = runner({ onSubscribe: () => new Promise(() => {}) }, failures);
  const started = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: 100 }, () => r.subscribe({ ...CALLER, channel: 'chat:a', namespace: 'chat' })),
  );
  assert.ok(Date.now() - started < 1000);
  assert.ok(outcomes.every((o) => !o.ok && o.code === 'internal'));
  assert.equal(failures.length, 100);
  assert.ok(failures.every(([hook, reason]) => hook === 'onSubscribe' && reason === 'timeout'));
  assert.equal(r.inFlight, 0);
});

test('an observer that throws does not turn a failure into a rejection', async () => {
  const r = new LogicRunner(
    [
      {
        onSubscribe: () => {
          throw new Error('x');
        },
      },
    ],
    {
      timeoutMs: 50,
      maxDataBytes: 1000,
      observer: {
        logicFailed: () => {
          throw new Error('observer bug');
        },
      },
    },
  );
  const outcome = await r.subscribe({ ...CALLER, channel: 'chat:a', namespace: 'chat' });
  assert.deepEqual(outcome, { ok: false, code: 'internal', message: 'Internal server error' });
});
