// The event-stream parser of the SSE transport (WHATWG HTML § 9.2.6): fields, comments, line ends of every kind, and
// the same events whatever the chunking of the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../../src/client/sse-parser.ts';

const STREAM =
  '\uFEFFevent: open\ndata: {"session":"n1.abc"}\n\n' +
  ': keepalive\n\n' +
  'data: {"type":"connected"}\r\n\r\n' +
  'data:no space\rdata:  two spaces\r\r' +
  'id: 7\ndata: first\ndata: second\n\n' +
  'event: close\ndata: {"code":4009,"reason":"shutdown"}\n\n' +
  'event: nodata\n\n' +
  'data: unterminated';

const EXPECTED: SseEvent[] = [
  { event: 'open', data: '{"session":"n1.abc"}', id: '' },
  { event: 'message', data: '{"type":"connected"}', id: '' },
  { event: 'message', data: 'no space\n two spaces', id: '' },
  { event: 'message', data: 'first\nsecond', id: '7' },
  { event: 'close', data: '{"code":4009,"reason":"shutdown"}', id: '7' },
];

test('sse parser: open, message, close events; comments skipped; LF, CRLF and CR line ends; multi-line data', () => {
  assert.deepEqual(new SseParser().push(STREAM), EXPECTED);
});

test('sse parser: an event is dispatched only at its blank line, and an event without data is not dispatched', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: a\n'), []);
  assert.deepEqual(parser.push('\n'), [{ event: 'message', data: 'a', id: '' }]);
  assert.deepEqual(parser.push('event: x\n\n'), []);
  assert.deepEqual(
    parser.push('data\n\n'),
    [{ event: 'message', data: '', id: '' }],
    'a bare "data" field is an empty line',
  );
});

test('sse parser: the same events whatever the chunk boundaries (a CRLF split in two included)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: STREAM.length }), { maxLength: 30 }), (cuts) => {
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const parser = new SseParser();
      const events: SseEvent[] = [];
      let from = 0;
      for (const p of [...points, STREAM.length]) {
        events.push(...parser.push(STREAM.slice(from, p)));
        from = p;
      }
      assert.deepEqual(events, EXPECTED);
    }),
    { numRuns: 300 },
  );
});

test('sse parser: every CR-LF pair split across chunks counts as one line end', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: a\r'), []);
  assert.deepEqual(parser.push('\n\r'), [{ event: 'message', data: 'a', id: '' }]);
  assert.deepEqual(parser.push('\ndata: b\r\n\r\n'), [{ event: 'message', data: 'b', id: '' }]);
});
