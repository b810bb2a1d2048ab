// Tests of src/http/logger.ts: AU-10 (the token never reaches a log line), OP-04 (log injection stays escaped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, redactUrl, serializeRequest } from '../../src/http/logger.ts';

const SECRET = 'eyJhbGciOiJIUzI1NiJ9.SECRET-PAYLOAD.SECRET-SIG';

function capture(): { lines: string[]; destination: { write: (s: string) => void } } {
  const lines: string[] = [];
  return {
    lines,
    destination: {
      write: (s: string) => {
        lines.push(s);
      },
    },
  };
}

test('redactUrl strips the token query parameter and its look-alikes, keeping the rest', () => {
  assert.equal(redactUrl('/ws?token=abc'), '/ws');
  assert.equal(redactUrl('/ws?room=a&token=abc&x=1'), '/ws?room=a&x=1');
  assert.equal(redactUrl('/ws?TOKEN=abc'), '/ws');
  assert.equal(
    redactUrl('/ws?%74oken=abc&a=%20'),
    '/ws?a=%20',
    'percent-encoded names are decoded like URLSearchParams does',
  );
  assert.equal(redactUrl('/ws?token=a&token=b'), '/ws');
  assert.equal(redactUrl('/ws?access_token=a&api_key=b&jwt=c'), '/ws');
  assert.equal(redactUrl('/ws?%zz=1&token'), '/ws?%zz=1', 'undecodable names are kept, bare names matched');
  assert.equal(redactUrl('https://h.example/ws?token=a#token=b'), 'https://h.example/ws');
  assert.equal(redactUrl('/ws'), '/ws');
  assert.equal(redactUrl(''), '');
});

test('AU-10: a token in the query, the Authorization header or a cookie never appears in a log line', () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination, level: 'trace' });
  const req = {
    method: 'GET',
    url: `/ws?token=${SECRET}&room=lobby`,
    headers: {
      host: 'localhost',
      origin: 'http://localhost:8080',
      authorization: `Bearer ${SECRET}`,
      cookie: `sb_token=${SECRET}`,
      'sec-websocket-protocol': `switchboard.v1.json, ${SECRET}`,
      'x-api-key': SECRET,
    },
    socket: { remoteAddress: '127.0.0.1' },
  };
  log.info({ req }, 'upgrade');
  log.info({ url: req.url }, 'url field');
  log.info({ headers: req.headers }, 'raw headers');
  log.info({ upgrade: { headers: req.headers } }, 'nested raw headers');
  log.warn({ token: SECRET, conn: { token: SECRET, apiKey: SECRET } }, 'objects with token fields');
  log.child({ conn: 'c1' }).debug({ auth: { token: SECRET } }, 'child');
  log.error({ err: new Error('auth failed: expired') }, 'error');
  const output = lines.join('');
  assert.equal(lines.length, 7);
  assert.equal(output.includes('SECRET'), false, output);
  const first = JSON.parse(lines[0]!) as {
    req: { url: string; headers: Record<string, string>; remoteAddress: string };
    service: string;
  };
  assert.equal(first.req.url, '/ws?room=lobby');
  assert.equal(first.req.headers['origin'], 'http://localhost:8080');
  assert.equal(first.req.headers['authorization'], undefined);
  assert.equal(first.req.remoteAddress, '127.0.0.1');
  assert.equal(first.service, 'switchboard');
  assert.match(lines[2]!, /"authorization":"\[REDACTED\]"/);
});

test('OP-04: CR, LF and ANSI escapes in logged values stay JSON-escaped on one line', () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination });
  log.info({ channel: 'chat:a\r\nFAKE {"level":50}\u001b[31m', user: 'x\ny' }, 'subscribe');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.trimEnd().includes('\n'), false);
  assert.equal(lines[0]!.includes('\u001b'), false);
  const parsed = JSON.parse(lines[0]!) as { channel: string };
  assert.equal(parsed.channel, 'chat:a\r\nFAKE {"level":50}\u001b[31m');
});

test('levels filter lines; serializeRequest works on a bare request', () => {
  const { lines, destination } = capture();
  const log = createLogger({ destination, level: 'warn' });
  log.info('hidden');
  log.warn('shown');
  assert.equal(lines.length, 1);
  assert.deepEqual(serializeRequest({ method: 'POST', url: '/api/publish?key=k', headers: {} }), {
    method: 'POST',
    url: '/api/publish',
    remoteAddress: undefined,
    headers: {},
  });
  assert.equal(createLogger({ pretty: false, level: 'silent' }).level, 'silent');
});
