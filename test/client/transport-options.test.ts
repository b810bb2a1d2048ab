// The transport options of the client: every bad value is refused at `new Client` with an error that names it, and the
// default list keeps only the transports that can work with the given options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRANSPORT_KINDS, type TransportKind } from '../../src/client/index.ts';
import { createCodec, Subprotocol } from '../../src/messages/index.ts';
import { engineTransport } from '../helpers/client-faults.ts';

const url = 'ws://127.0.0.1:9/ws';

test('transports: bad lists and timings are refused with a clear error', () => {
  const cases: [Record<string, unknown>, RegExp, typeof Error][] = [
    [{ transports: [] }, /at least one of "websocket", "sse", "polling"/, RangeError],
    [{ transports: ['websocket', 'carrier-pigeon'] }, /unknown transport "carrier-pigeon"/, RangeError],
    [{ transports: ['sse', 'sse'] }, /"sse" is listed twice/, RangeError],
    [{ transportTimeoutMs: 0 }, /transportTimeoutMs must be a positive number of ms, got 0/, RangeError],
    [{ websocketRetryMs: Number.NaN }, /websocketRetryMs must be a positive number of ms, got NaN/, RangeError],
    [
      { transports: ['websocket'], transport: undefined },
      /"websocket" transport without the `transport` option/,
      TypeError,
    ],
    [
      { transports: ['sse'], codec: createCodec(Subprotocol.MSGPACK) },
      /"sse" transport with the .*msgpack codec/,
      TypeError,
    ],
    [{ transports: ['polling'], url: 'ftp://example.com/ws' }, /not a ws, wss, http or https URL/, TypeError],
    [{ transports: ['polling'], url: 'not a url' }, /"not a url" is not a URL/, TypeError],
  ];
  for (const [extra, message, type] of cases) {
    assert.throws(
      () => new Client({ url, transport: engineTransport, ...extra } as never),
      (err: unknown) => err instanceof type && message.test((err as Error).message),
      `${JSON.stringify(extra)} -> ${message}`,
    );
  }
  // A runtime without `fetch`, and no WebSocket factory: nothing can work.
  const saved = globalThis.fetch;
  (globalThis as { fetch?: unknown }).fetch = undefined;
  try {
    assert.throws(() => new Client({ url }), /no `transport` \(WebSocket factory\) given and no `fetch`/);
    assert.equal(
      new Client({ url, transport: engineTransport }).transport,
      'websocket',
      'without fetch: WebSocket only',
    );
  } finally {
    globalThis.fetch = saved;
  }
});

test('transports: the default keeps what can work, in the order websocket, sse, polling', () => {
  const kinds = (options: Record<string, unknown>): TransportKind => new Client({ url, ...options } as never).transport;
  assert.deepEqual(TRANSPORT_KINDS, ['websocket', 'sse', 'polling']);
  assert.equal(kinds({ transport: engineTransport }), 'websocket');
  assert.equal(kinds({}), 'sse', 'without a WebSocket factory the client starts on the event stream');
  assert.equal(kinds({ transports: ['polling', 'websocket'], transport: engineTransport }), 'polling');
  // A binary codec cannot go over HTTP: the default is WebSocket alone, and it works.
  assert.equal(kinds({ transport: engineTransport, codec: createCodec(Subprotocol.MSGPACK) }), 'websocket');
});
