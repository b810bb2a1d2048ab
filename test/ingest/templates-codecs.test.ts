// Channel/key templates and payload codecs with bad inputs: malformed templates, missing tokens, non-string fields,
// oversize results, undecodable and non-JSON payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import {
  compileMapping,
  compileTemplate,
  decodePayload,
  renderTemplate,
  TemplateError,
  type TemplateInput,
} from '../../src/ingest/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const input = (over: Partial<TemplateInput> = {}): TemplateInput => ({
  subject: 'prices.AAPL.eu',
  separator: '.',
  payload: { symbol: 'AAPL', n: 7, nested: { region: 'eu' }, flag: true, list: ['a'] },
  headers: { region: 'us' },
  ...over,
});

test('templates render subject tokens, payload fields and headers', () => {
  const t = compileTemplate('feed:{subject.0}.{subject.1}.{payload.nested.region}.{header.Region}.{payload.n}');
  assert.deepEqual(renderTemplate(t, input()), { ok: true, value: 'feed:prices.AAPL.eu.us.7' });
  assert.deepEqual(renderTemplate(compileTemplate('feed:x'), input()), { ok: true, value: 'feed:x' });
  const mqtt = compileTemplate('feed:{subject.1}');
  assert.deepEqual(renderTemplate(mqtt, input({ subject: 'prices/MSFT', separator: '/' })), {
    ok: true,
    value: 'feed:MSFT',
  });
});

test('malformed templates are refused at compile time with the position', () => {
  for (const [source, message] of [
    ['feed:{subject.1', /unclosed "\{" at 5/],
    ['feed:subject.1}', /unmatched "\}" at 14/],
    ['feed:{}', /unknown token \{\}/],
    ['feed:{topic.1}', /unknown token \{topic\.1\}/],
    ['feed:{subject.x}', /expected a token index/],
    ['feed:{subject.-1}', /expected a token index/],
    ['feed:{payload.}', /unknown token/],
    ['feed:{payload.a..b}', /expected up to 16/],
    ['feed:{payload.__proto__}', /expected up to 16/],
    ['feed:{payload.constructor.name}', /expected up to 16/],
    ['feed:{header.a b}', /expected a header name/],
    ['feed:{{subject.1}}', /unclosed/],
    ['', /empty template/],
  ] as const) {
    assert.throws(
      () => compileTemplate(source),
      (err: unknown) => err instanceof TemplateError && message.test(err.message),
      source,
    );
  }
});

test('a missing token, a non-string field or an oversize result does not render', () => {
  const cases: [string, Partial<TemplateInput>, RegExp][] = [
    ['feed:{subject.5}', {}, /subject has no token 5/],
    ['feed:{subject.1}', { subject: 'prices..x' }, /subject has no token 1/],
    ['feed:{payload.missing}', {}, /payload\.missing is missing/],
    ['feed:{payload.flag}', {}, /payload\.flag is not a string or number/],
    ['feed:{payload.list}', {}, /not a string or number/],
    ['feed:{payload.nested}', {}, /not a string or number/],
    ['feed:{payload.symbol}', { payload: 'just text' }, /payload\.symbol is missing/],
    ['feed:{payload.symbol}', { payload: undefined }, /missing/],
    ['feed:{payload.symbol}', { payload: { symbol: '' } }, /not a string or number/],
    ['feed:{payload.n}', { payload: { n: null } }, /not a string or number/],
    ['feed:{payload.toString}', {}, /missing/],
    ['feed:{header.trace}', {}, /no header trace/],
    ['feed:{header.region}', { headers: undefined }, /no header region/],
    ['feed:{payload.symbol}', { payload: { symbol: 'x'.repeat(300) } }, /longer than 255/],
  ];
  for (const [source, over, detail] of cases) {
    const r = renderTemplate(compileTemplate(source), input(over));
    assert.equal(r.ok, false, source);
    if (!r.ok) assert.match(r.detail, detail, source);
  }
});

test('codecs decode json, msgpack and text, and say why bad bytes are not a value', () => {
  assert.deepEqual(decodePayload('json', enc('{"a":[1,2]}')), { ok: true, value: { a: [1, 2] } });
  assert.deepEqual(decodePayload('msgpack', pack({ a: 'b', n: 1.5 })), { ok: true, value: { a: 'b', n: 1.5 } });
  assert.deepEqual(decodePayload('text', enc('héllo')), { ok: true, value: 'héllo' });
  const bad: [Parameters<typeof decodePayload>[0], Uint8Array, RegExp][] = [
    ['json', enc('{"a":'), /not JSON/],
    ['json', enc(''), /not JSON/],
    ['json', new Uint8Array([0xff, 0xfe]), /not UTF-8/],
    ['json', enc('['.repeat(100) + ']'.repeat(100)), /nested deeper than 64/],
    ['json', enc('{"__proto__":{"x":1}}'), /reserved key/],
    ['text', new Uint8Array([0xc3]), /not UTF-8/],
    ['msgpack', new Uint8Array(0), /empty/],
    ['msgpack', new Uint8Array([0xc1]), /not MessagePack|Cannot accept/],
    ['msgpack', pack(new Uint8Array([1, 2])), /Cannot accept/],
    ['msgpack', pack(Number.NaN), /non-finite/],
    ['msgpack', pack(new Date(0)), /Cannot accept/],
  ];
  for (const [codec, bytes, detail] of bad) {
    const r = decodePayload(codec, bytes);
    assert.equal(r.ok, false, `${codec} ${detail}`);
    if (!r.ok) assert.match(r.detail, detail);
  }
});

test('mappings check their options: name, codec, size bounds', () => {
  const m = compileMapping({ name: 'p', channel: 'feed:{subject.1}' }, 'mqtt');
  assert.equal(m.separator, '/');
  assert.equal(m.codec, 'json');
  assert.equal(m.maxPayloadBytes, 65_536);
  assert.throws(() => compileMapping({ name: 'p', channel: 'feed:x', maxPayloadBytes: 0 }, 'nats'));
  assert.throws(() => compileMapping({ name: 'p', channel: 'feed:x', maxPayloadBytes: 2 ** 30 }, 'nats'));
  assert.throws(() => compileMapping({ name: 'has space', channel: 'feed:x' }, 'nats'));
  assert.throws(() => compileMapping({ name: 'p', channel: 'feed:{oops}' }, 'nats'));
});
