// The event ids of GET /sse: positions written by formatEventId read back by parseLastEventId; garbage never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatEventId, MAX_SSE_CHANNELS, parseLastEventId, parseSseChannels } from '../../src/http/sse-event-id.ts';

const epoch = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const position = fc.option(
  fc.record({ epoch, offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }).map((p) => ({ ...p })),
  { nil: null },
);

test('every id the server writes reads back as the same positions', () => {
  fc.assert(
    fc.property(fc.array(position, { minLength: 1, maxLength: MAX_SSE_CHANNELS }), (positions) => {
      assert.deepEqual(parseLastEventId(formatEventId(positions), positions.length), positions);
    }),
  );
});

test('any string is read without throwing: positions or a bad_request', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: MAX_SSE_CHANNELS }), (value, count) => {
      const parsed = parseLastEventId(value, count);
      if (!Array.isArray(parsed)) assert.equal((parsed as { error: string }).error, 'bad_request');
      else assert.equal(parsed.length, count);
    }),
  );
});

test('channels: 1 to 16 valid names, each once, in the query order', () => {
  assert.deepEqual(parseSseChannels(new URLSearchParams('channel=a:1&channel=b:2')), ['a:1', 'b:2']);
  for (const query of ['', 'channel=a:1&channel=a:1', 'channel=bad', 'channels=a:1']) {
    const parsed = parseSseChannels(new URLSearchParams(query));
    assert.ok(!Array.isArray(parsed), query);
  }
});
