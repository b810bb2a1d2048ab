// Webhook delivery against real HTTP receivers: batches, signatures, ids, retries, a receiver down for a while, a
// hung receiver, dead letters and the shutdown flush. Backoff is scaled down (tens of ms instead of seconds) so that
// an outage of "minutes" at the default settings fits in about a second here; the logic is the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhooks, type WebhookEndpointOptions, type WebhookEvent } from '../../src/integrations/index.ts';
import { RealtimeEvents } from '../../src/realtime/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';
import { startReceiver } from './webhook-receiver.ts';

const SECRET = 'whsec-test-0123456789abcdef';

async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Emits `n` publication events numbered from `from`; returns nothing (the emitter never waits). */
function emit(events: RealtimeEvents, from: number, n: number): void {
  for (let i = from; i < from + n; i++) {
    events.emit('publication', { channel: 'hooked:x', epoch: 'e', offset: i, data: { seq: i }, time: Date.now() });
  }
}

/** The `data.seq` of each event, once per event id (a batch whose answer was lost arrives again). */
function uniqueSeqs(batches: readonly WebhookEvent[][]): number[] {
  const seen = new Set<string>();
  return batches.flat().flatMap((e) => {
    if (seen.has(e.id)) return [];
    seen.add(e.id);
    return [(e['data'] as { seq: number }).seq];
  });
}

function fast(url: string, extra: Partial<WebhookEndpointOptions> = {}): WebhookEndpointOptions {
  return {
    url,
    secret: SECRET,
    events: ['publication'],
    maxBatchSize: 10,
    maxWaitMs: 20,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
    timeoutMs: 5000,
    maxAttempts: 1000,
    ...extra,
  };
}

test('a server sends its events in signed batches the receiver verifies: ids unique, payloads complete, filters applied', async (t) => {
  const receiver = await startReceiver(t, SECRET);
  const hub = await startHub(t, { namespaces: { chat: {}, hooked: { webhookPublications: true } } });
  const webhooks = new Webhooks(hub.hub.events, {
    endpoints: [
      {
        url: receiver.url,
        secret: SECRET,
        events: ['channelOccupied', 'presenceJoin', 'publication'],
        maxBatchSize: 3,
        maxWaitMs: 50,
      },
    ],
  });
  t.after(() => webhooks.close({ timeoutMs: 1000 }));
  const alice = await openClient(t, hub, 'alice', { info: { name: 'Alice' } });
  await alice.request({ type: 'subscribe', channel: 'hooked:room' });
  await alice.request({ type: 'publish', channel: 'hooked:room', data: { text: 'hi' }, id: 'm1' });
  const other = await alice.request({
    type: 'publish',
    channel: 'chat:other',
    data: { text: 'not opted in' },
    id: 'm2',
  });
  assert.equal(other.type, 'reply', 'stored, but its namespace did not opt in');
  await hub.hub.publish('hooked:room', { text: 'from the API' }, { sender: 'api' });
  const events = () => receiver.batches.flat().filter((e) => e['channel'] === 'hooked:room');
  await eventually(() => events().length === 4, 'four events');
  assert.ok(
    receiver.batches.every((b) => b.length <= 3),
    'no batch exceeds maxBatchSize',
  );
  const got = events();
  assert.equal(new Set(got.map((e) => e.id)).size, 4, 'every event has its own id');
  for (const e of got) assert.ok(Math.abs(e.time - Date.now()) < 10_000);
  const epoch = got[2]!['epoch'];
  assert.deepEqual(
    got.map(({ id: _id, time: _time, ...rest }) => rest),
    [
      { type: 'channelOccupied', channel: 'hooked:room' },
      { type: 'presenceJoin', channel: 'hooked:room', user: 'alice', info: { name: 'Alice' } },
      {
        type: 'publication',
        channel: 'hooked:room',
        epoch,
        offset: 1,
        data: { text: 'hi' },
        sender: 'alice',
        messageId: 'm1',
      },
      { type: 'publication', channel: 'hooked:room', epoch, offset: 2, data: { text: 'from the API' }, sender: 'api' },
    ],
  );
  assert.deepEqual(receiver.refused, []);
  // The receiver records a batch before its answer reaches the sender.
  await eventually(() => webhooks.health().endpoints[0]!.delivered === receiver.batches.flat().length, 'acknowledged');
  const [stats] = webhooks.health().endpoints;
  assert.equal(stats!.deadLettered, 0);
});

/** A receiver in Python's standard library: verifies the signature with hmac/hashlib and prints each batch. */
const PYTHON_RECEIVER = `
import hashlib, hmac, http.server, json, sys, time
SECRET = sys.argv[1].encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        header = self.headers.get('Switchboard-Signature', '')
        parts = dict(p.split('=', 1) for p in header.split(',') if '=' in p)
        t = parts.get('t', '')
        expected = hmac.new(SECRET, t.encode() + b'.' + body, hashlib.sha256).hexdigest()
        fresh = t.isdigit() and abs(time.time() - int(t)) <= 300
        ok = fresh and hmac.compare_digest(expected, parts.get('v1', ''))
        print(json.dumps({'ok': ok, 'events': json.loads(body)['events'] if ok else None}), flush=True)
        self.send_response(204 if ok else 401)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(json.dumps({'port': server.server_address[1]}), flush=True)
server.serve_forever()
`;

test('a receiver in Python (hmac, hashlib) verifies the batches; one with the wrong secret refuses them', async (t) => {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const start = async (secret: string) => {
    const child = spawn('python3', ['-u', '-c', PYTHON_RECEIVER, secret], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill('SIGKILL'));
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line)));
    await eventually(() => lines.length > 0, 'the python receiver port', 20_000);
    return { url: `http://127.0.0.1:${lines.shift()!['port']}/hooks`, lines };
  };
  const good = await start(SECRET);
  const wrong = await start('another-secret-0123456789');
  const events = new RealtimeEvents();
  const webhooks = new Webhooks(events, {
    // A generous deadline: a Python receiver on a loaded machine can take over a second to answer.
    endpoints: [fast(good.url, { timeoutMs: 10_000 }), fast(wrong.url, { maxAttempts: 2, timeoutMs: 10_000 })],
  });
  t.after(() => webhooks.close({ timeoutMs: 500 }));
  emit(events, 1, 25);
  await eventually(() => good.lines.flatMap((l) => l['events'] as unknown[]).length === 25, 'python got 25', 15_000);
  assert.ok(good.lines.every((l) => l['ok'] === true));
  const seqs = good.lines.flatMap((l) => (l['events'] as { data: { seq: number } }[]).map((e) => e.data.seq));
  assert.deepEqual(
    seqs,
    Array.from({ length: 25 }, (_, i) => i + 1),
    'in order',
  );
  await eventually(() => webhooks.health().endpoints[1]!.deadLettered === 25, 'the refused ones dead-lettered', 15_000);
  // Three batches (10, 10, 5), two attempts each, every one refused by the receiver's own check.
  await eventually(() => wrong.lines.length === 6, 'six refusals printed', 15_000);
  assert.ok(wrong.lines.every((l) => l['ok'] === false));
  assert.equal(webhooks.health().endpoints[1]!.lastError, 'http_4xx');
});

test('a receiver down for a while: the queue stays bounded, counts are exact, nothing below the bound is lost, order holds', async (t) => {
  const receiver = await startReceiver(t, SECRET);
  await receiver.stop();
  const events = new RealtimeEvents();
  const webhooks = new Webhooks(events, { endpoints: [fast(receiver.url, { maxQueuedEvents: 50 })] });
  t.after(() => webhooks.close({ timeoutMs: 500 }));
  emit(events, 1, 200);
  const during = webhooks.health().endpoints[0]!;
  assert.equal(during.queued, 50, 'the waiting queue holds maxQueuedEvents');
  assert.equal(during.inFlight, 10, 'plus the batch in flight');
  assert.equal(during.deadLettered, 140, 'the oldest waiting ones were dropped');
  // Stay down through several retries (backoff 20 ms doubling to 100 ms: "minutes" at the defaults).
  await eventually(() => webhooks.health().endpoints[0]!.failedAttempts >= 5, 'retries while down');
  assert.equal(webhooks.health().endpoints[0]!.lastError, 'network');
  await receiver.start();
  const back = Date.now();
  await eventually(() => webhooks.health().endpoints[0]!.delivered === 60, 'delivery resumed');
  t.diagnostic(
    `FIGURES outage: ${JSON.stringify({ emitted: 200, delivered: 60, deadLettered: 140, resumedAfterMs: Date.now() - back })}`,
  );
  const stats = webhooks.health().endpoints[0]!;
  assert.equal(stats.emitted, 200);
  assert.equal(stats.delivered + stats.deadLettered, stats.emitted, 'delivered + dead-lettered = emitted');
  assert.equal(stats.queued + stats.inFlight, 0);
  const seqs = uniqueSeqs(receiver.batches);
  const expected = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 50 }, (_, i) => i + 151)];
  assert.deepEqual(seqs, expected, 'the first batch, then the newest 50, in order, once each');
});

test('a receiver answering 500, then one that hangs: the same batch (same ids) is retried until acknowledged', async (t) => {
  const receiver = await startReceiver(t, SECRET);
  receiver.reply = (n) => (n < 2 ? 'fail500' : n === 2 ? 'hang' : 'ok');
  const events = new RealtimeEvents();
  const webhooks = new Webhooks(events, { endpoints: [fast(receiver.url, { timeoutMs: 300 })] });
  t.after(() => webhooks.close({ timeoutMs: 500 }));
  emit(events, 1, 3);
  await eventually(() => webhooks.health().endpoints[0]!.delivered === 3, 'acknowledged', 8000);
  assert.equal(receiver.delivered().length, 3);
  // Two 500s, one hang, one success (more only if a loaded machine made an answer miss the 300 ms deadline).
  assert.ok(receiver.batches.length >= 4, `${receiver.batches.length} requests`);
  const ids = receiver.batches.map((b) => b.map((e) => e.id).join());
  assert.equal(new Set(ids).size, 1, 'every attempt carried the same event ids');
  const stats = webhooks.health().endpoints[0]!;
  assert.deepEqual([stats.delivered, stats.deadLettered], [3, 0]);
  assert.equal(stats.batches, 1, 'one batch, acknowledged once');
  assert.ok(stats.failedAttempts >= 3, `${stats.failedAttempts} failed attempts`);
});

test('a batch the receiver keeps refusing is dead-lettered after maxAttempts, and later events still go', async (t) => {
  const receiver = await startReceiver(t, SECRET);
  receiver.reply = (n) => (n < 3 ? 'fail500' : 'ok');
  const events = new RealtimeEvents();
  const dead: [number, string][] = [];
  const webhooks = new Webhooks(events, {
    endpoints: [fast(receiver.url, { maxAttempts: 3 })],
    observer: { deadLettered: (_e, n, cause) => dead.push([n, cause]) },
  });
  t.after(() => webhooks.close({ timeoutMs: 500 }));
  emit(events, 1, 4);
  await eventually(() => dead.length === 1, 'dead-lettered');
  assert.deepEqual(dead, [[4, 'attempts']]);
  emit(events, 5, 2);
  await eventually(() => receiver.delivered().length === 2, 'the next batch');
  assert.deepEqual(
    receiver.batches.at(-1)!.map((e) => (e['data'] as { seq: number }).seq),
    [5, 6],
  );
});

test('close flushes what waits at once, and gives up at the deadline on a receiver that is down', async (t) => {
  const up = await startReceiver(t, SECRET);
  const down = await startReceiver(t, SECRET);
  await down.stop();
  const events = new RealtimeEvents();
  const webhooks = new Webhooks(events, {
    endpoints: [fast(up.url, { maxWaitMs: 60_000, maxBatchSize: 100 }), fast(down.url, { maxWaitMs: 60_000 })],
  });
  emit(events, 1, 5);
  assert.equal(up.batches.length, 0, 'still waiting for companions');
  const started = Date.now();
  await webhooks.close({ timeoutMs: 400 });
  const elapsed = Date.now() - started;
  assert.equal(up.delivered().length, 5, 'flushed without waiting maxWaitMs');
  const stats = webhooks.health().endpoints[1]!;
  assert.deepEqual([stats.delivered, stats.deadLettered, stats.queued, stats.inFlight], [0, 5, 0, 0]);
  assert.equal(stats.state, 'closed');
  assert.ok(elapsed >= 350 && elapsed < 3000, `closed after ${elapsed} ms`);
  emit(events, 6, 1);
  assert.equal(webhooks.health().endpoints[0]!.emitted, 5, 'no listener after close');
});

test('large events are bounded by maxQueuedBytes: the oldest waiting ones are dead-lettered, the newest delivered', async (t) => {
  const receiver = await startReceiver(t, SECRET);
  await receiver.stop();
  const events = new RealtimeEvents();
  const webhooks = new Webhooks(events, {
    endpoints: [fast(receiver.url, { maxBatchSize: 5, maxQueuedEvents: 1000, maxQueuedBytes: 10_000 })],
  });
  t.after(() => webhooks.close({ timeoutMs: 500 }));
  const big = 'x'.repeat(1000);
  for (let i = 1; i <= 50; i++)
    events.emit('publication', { channel: 'hooked:x', epoch: 'e', offset: i, data: { seq: i, big }, time: Date.now() });
  const during = webhooks.health().endpoints[0]!;
  // Each event is a bit over 1 KB of JSON: 10 000 bytes hold 8 or 9 of them.
  assert.equal(during.inFlight, 5);
  assert.ok(during.queued >= 8 && during.queued <= 9, `queued ${during.queued}`);
  assert.equal(during.queued + during.deadLettered, 45);
  await receiver.start();
  await eventually(() => webhooks.health().endpoints[0]!.delivered === 5 + during.queued, 'delivered');
  const seqs = uniqueSeqs(receiver.batches);
  const newest = Array.from({ length: during.queued }, (_, i) => 51 - during.queued + i);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, ...newest], 'the first batch, then the newest that fit, in order');
});
