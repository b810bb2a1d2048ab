// Fault (c): the server restarts with an empty embedded broker; the client reconnects, cannot recover, and says so (gap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type GapEvent, type StateChange } from '../../src/client/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

test('client: a server restarted with an empty broker makes the subscription report a gap, then delivery resumes in the new epoch', {
  timeout: 30_000,
}, async (t) => {
  const first = await startFaultHub(t);
  const proxy = await startProxy(t, first.port);
  const url = `ws://127.0.0.1:${proxy.port}/ws`;
  const reconnect = { minDelayMs: 50, maxDelayMs: 500, factor: 2 };
  const subscriber = new Client({ url, transport: engineTransport, token: await tokenFor('sub'), reconnect });
  const publisher = new Client({ url, transport: engineTransport, token: await tokenFor('pub'), reconnect });
  t.after(() => {
    subscriber.close();
    publisher.close();
  });
  await Promise.all([subscriber.connect(), publisher.connect()]);
  const received: { i: number; epoch: string }[] = [];
  const gaps: GapEvent[] = [];
  const changes: StateChange[] = [];
  const sub = subscriber.subscription('chat:restart');
  sub.on('publication', (p) => received.push({ i: (p.data as { i: number }).i, epoch: p.epoch }));
  sub.on('gap', (g) => gaps.push(g));
  subscriber.on('statechange', (s) => changes.push(s));
  await sub.subscribe();
  for (let i = 0; i < 5; i++) await publisher.publish('chat:restart', { i });
  await waitFor(() => received.length === 5, 5000);
  const before = subscriber.positions.get('chat:restart')!;

  await first.stop();
  const second = await startFaultHub(t);
  proxy.retarget(second.port);
  await waitFor(
    () => gaps.length > 0 && sub.state === 'subscribed' && publisher.state === 'connected',
    10_000,
    () => `(gaps ${gaps.length}, ${sub.state}, ${publisher.state})`,
  );
  for (let i = 5; i < 8; i++) await publisher.publish('chat:restart', { i });
  await waitFor(
    () => received.length === 8,
    5000,
    () => `(received ${received.length})`,
  );

  const figures = {
    beforeRestart: 5,
    afterRestart: 3,
    received: received.length,
    duplicatesDropped: subscriber.metrics.duplicates,
    gaps: gaps.length,
    gap: gaps[0],
    disconnect: changes.find((c) => c.state === 'disconnected'),
  };
  console.log(`# fault (c) figures ${JSON.stringify(figures)}`);
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.reason, 'not_recovered');
  assert.deepEqual(gaps[0]!.from, before);
  assert.notEqual(gaps[0]!.to.epoch, before.epoch, 'the new broker has a new epoch');
  assert.deepEqual(
    received.map((r) => r.i),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(received[5]!.epoch, gaps[0]!.to.epoch);
  const lost = changes.find((c) => c.state === 'disconnected')!;
  assert.equal(lost.reason, 'server_disconnect', 'the drain announced itself with disconnect{reconnect:true}');
  assert.equal(subscriber.metrics.gaps, 1);
});
