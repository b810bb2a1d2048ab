// HTTP/1.1 pipelining to the backend (HttpProxyOptions.pipelining, pipelinedKinds) against a raw TCP backend that
// sees exactly what arrives on each connection: pipelined requests are written before the answers to those ahead
// of them, each answer goes to its own call in order, kinds not pipelined never share a busy connection, and a
// connection that dies mid-pipeline loses no call (the requests on it are sent again on a new one).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { createHttpProxy } from '../../../src/integrations/index.ts';
import {
  CallDeadline,
  type PostResult,
  type PostTarget,
  post,
  postPool,
  postTarget,
} from '../../../src/integrations/proxy/post.ts';
import { LogicDeadlines } from '../../../src/realtime/index.ts';
import { ALICE } from './node-backend.ts';

/** One request as read off a connection: the connection's number, the body, and how many were unanswered then. */
interface Seen {
  readonly connection: number;
  readonly body: Record<string, unknown>;
  /** Requests read on this connection before this one and not answered yet (> 0: it came pipelined). */
  readonly behind: number;
}

/** Decides what to do with each request read: answer it (with a JSON body), hold it, or close the connection. */
type Policy = (seen: Seen, heldOnConnection: number) => 'answer' | 'hold' | 'close';

interface RawBackend {
  readonly url: string;
  readonly seen: Seen[];
  connections(): number;
  close(): void;
}

const answerOf = (body: Record<string, unknown>): string => {
  // Echoes the request's data (publish) as replaced data: each call must get back its own.
  const text = JSON.stringify({ result: { data: body['data'] ?? null } });
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: keep-alive\r\n\r\n${text}`;
};

/**
 * A backend that parses HTTP/1.1 requests (Content-Length bodies) as they stream in, in order per connection, and
 * answers them in order. A held request is answered when a later one on the connection gets `answer` (all held
 * ones first, in order), so a test decides how many must be in flight before the first answer goes out.
 */
async function rawBackend(policy: Policy): Promise<RawBackend> {
  let connections = 0;
  const seen: Seen[] = [];
  const server = net.createServer((socket) => {
    const connection = ++connections;
    let buffered = Buffer.alloc(0);
    const held: Seen[] = [];
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buffered.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < headEnd + 4 + length) return;
        const body = JSON.parse(buffered.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8'));
        buffered = buffered.subarray(headEnd + 4 + length);
        const entry: Seen = { connection, body, behind: held.length };
        seen.push(entry);
        const action = policy(entry, held.length);
        if (action === 'close') {
          // What was written goes out first, then the FIN: the held requests stay unanswered.
          socket.end();
          return;
        }
        held.push(entry);
        if (action === 'answer') {
          for (const each of held.splice(0)) socket.write(answerOf(each.body));
        }
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    seen,
    connections: () => connections,
    close: () => server.close(),
  };
}

/** A generous deadline per call, so a test that goes wrong fails instead of hanging. */
const deadlines = new LogicDeadlines(10_000);

/** POSTs `{"request":"publish","data":{"n":n}}` within the deadline. */
async function postN(target: PostTarget, n: number, pipelined: boolean): Promise<PostResult> {
  const deadline = new CallDeadline();
  deadlines.arm(deadline);
  try {
    return await post(target, { 'content-type': 'application/json' }, body(n), deadline, 1024, pipelined);
  } finally {
    deadlines.cancel(deadline);
  }
}

const body = (n: number): string => JSON.stringify({ request: 'publish', data: { n } });
const dataOf = (result: PostResult): unknown =>
  result.ok ? JSON.parse(result.body.toString('utf8')).result.data : result;

test('pipelined POSTs share one connection, are written before any answer, and each gets its own answer', async (t) => {
  // Nothing is answered until the fourth request is read: only pipelining gets all four there on one connection.
  const backend = await rawBackend((_seen, held) => (held === 3 ? 'answer' : 'hold'));
  const url = new URL(backend.url);
  const pool = postPool(url.origin, 1, 4);
  t.after(async () => {
    await pool.destroy();
    backend.close();
  });
  const target = postTarget(url, pool);
  const results = await Promise.all([0, 1, 2, 3].map((n) => postN(target, n, true)));
  assert.deepEqual(results.map(dataOf), [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
  assert.equal(backend.connections(), 1);
  assert.deepEqual(
    backend.seen.map((s) => s.behind),
    [0, 1, 2, 3],
    'each request arrived while those before it were unanswered',
  );
});

test('a request not marked pipelined waits for its connection to be idle, even in a pipelining pool', async (t) => {
  const backend = await rawBackend(() => 'answer');
  const url = new URL(backend.url);
  const pool = postPool(url.origin, 1, 4);
  t.after(async () => {
    await pool.destroy();
    backend.close();
  });
  const target = postTarget(url, pool);
  const results = await Promise.all([0, 1, 2].map((n) => postN(target, n, false)));
  assert.deepEqual(results.map(dataOf), [{ n: 0 }, { n: 1 }, { n: 2 }]);
  assert.deepEqual(
    backend.seen.map((s) => s.behind),
    [0, 0, 0],
  );
});

test('a backend that closes mid-pipeline: the answered call keeps its answer, the others are sent again', async (t) => {
  // First connection: answers the first request, reads the next two, then closes without answering them.
  // Later connections answer everything.
  const backend = await rawBackend((seen) => {
    if (seen.connection > 1) return 'answer';
    const { n } = seen.body['data'] as { n: number };
    return n === 0 ? 'answer' : n === 1 ? 'hold' : 'close';
  });
  const url = new URL(backend.url);
  const pool = postPool(url.origin, 1, 4);
  t.after(async () => {
    await pool.destroy();
    backend.close();
  });
  const target = postTarget(url, pool);
  const results = await Promise.all([0, 1, 2].map((n) => postN(target, n, true)));
  // Every call gets its own answer: none is lost or crossed with another's.
  assert.deepEqual(results.map(dataOf), [{ n: 0 }, { n: 1 }, { n: 2 }]);
  assert.equal(backend.connections(), 2);
  const first = backend.seen.filter((s) => s.connection === 1).map((s) => (s.body['data'] as { n: number }).n);
  const second = backend.seen.filter((s) => s.connection === 2).map((s) => (s.body['data'] as { n: number }).n);
  assert.deepEqual(first, [0, 1, 2]);
  // The unanswered requests reach the backend again, in whatever order (the head of the pipeline is sent again by
  // the proxy, the others by the pool): hence pipelining only kinds the backend may receive twice.
  assert.deepEqual(
    second.sort((a, b) => a - b),
    [1, 2],
  );
});

test('through the proxy: pipelined publishes each get their own replaced data; rpc is never pipelined', async (t) => {
  const backend = await rawBackend(() => 'answer');
  const proxy = createHttpProxy({
    publish: backend.url,
    rpc: backend.url,
    pipelining: 4,
    pipelinedKinds: ['publish'],
    maxConcurrency: 8,
  });
  t.after(async () => {
    await proxy.close();
    backend.close();
  });
  const publishes = Array.from({ length: 24 }, (_, n) =>
    proxy.onPublish!({ ...ALICE, channel: 'chat:lobby', namespace: 'chat', data: { n } }),
  );
  const rpcs = Array.from({ length: 6 }, (_, n) => proxy.rpc!({ ...ALICE, method: 'm', data: { n } }));
  assert.deepEqual(
    await Promise.all(publishes),
    Array.from({ length: 24 }, (_, n) => ({ data: { n } })),
  );
  assert.deepEqual(
    await Promise.all(rpcs),
    Array.from({ length: 6 }, (_, n) => ({ data: { n } })),
  );
  for (const seen of backend.seen.filter((s) => s.body['request'] === 'rpc'))
    assert.equal(seen.behind, 0, 'an rpc request is written only on a connection with nothing in flight');
});

test('pipelining options out of range are refused with a TypeError naming the option', () => {
  assert.throws(() => createHttpProxy({ pipelining: 0 }), /pipelining must be an integer/);
  assert.throws(() => createHttpProxy({ pipelining: 2.5 }), /pipelining must be an integer/);
  assert.throws(
    () => createHttpProxy({ pipelinedKinds: ['publish', 'delete' as 'publish'] }),
    /pipelinedKinds has "delete"/,
  );
});
