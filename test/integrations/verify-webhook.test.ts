// verifyWebhook, the receiver's check: every header form Node and fetch hand out, and a clear reason per refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signBody, verifyWebhook, WebhookVerificationError } from '../../src/integrations/index.ts';

const SECRET = 'whsec-test-0123456789abcdef';
const NOW_MS = 1_800_000_000_000;
const NOW_SEC = NOW_MS / 1000;
const BODY = JSON.stringify({
  events: [{ id: 'e1', type: 'presenceJoin', time: NOW_MS, channel: 'chat:a', user: 'u' }],
});

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError);
    assert.match(err.message, /^Cannot (verify|read) the webhook/);
    return err.reason;
  }
  return 'accepted';
}

test('the events come back from a Node IncomingHttpHeaders record, a fetch Headers and a plain record in any case', () => {
  const header = signBody(SECRET, BODY, NOW_SEC);
  const options = { nowMs: NOW_MS };
  const expected = JSON.parse(BODY).events;
  assert.deepEqual(verifyWebhook(SECRET, { 'switchboard-signature': header }, BODY, options), expected);
  assert.deepEqual(verifyWebhook(SECRET, new Headers({ 'Switchboard-Signature': header }), BODY, options), expected);
  assert.deepEqual(verifyWebhook(SECRET, { 'SWITCHBOARD-SIGNATURE': header }, Buffer.from(BODY), options), expected);
  assert.deepEqual(
    verifyWebhook(['old-secret-0123456789', SECRET], { 'switchboard-signature': [header] }, BODY, options),
    expected,
  );
});

test('missing, malformed, stale, mismatched and non-batch deliveries are refused with their reason', () => {
  const header = signBody(SECRET, BODY, NOW_SEC);
  const at = { nowMs: NOW_MS };
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, {}, BODY, at)),
    'missing',
  );
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': 'v1=zz' }, BODY, at)),
    'malformed',
  );
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': [header, header] }, BODY, at)),
    'malformed',
    'two copies of the header',
  );
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': header }, BODY, { nowMs: NOW_MS + 301_000 })),
    'stale',
  );
  assert.equal(
    reasonOf(() =>
      verifyWebhook(SECRET, { 'switchboard-signature': header }, BODY, { nowMs: NOW_MS + 61_000, toleranceSec: 60 }),
    ),
    'stale',
  );
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': header }, `${BODY} `, at)),
    'mismatch',
  );
  assert.equal(
    reasonOf(() => verifyWebhook('wrong-secret-0123456789', { 'switchboard-signature': header }, BODY, at)),
    'mismatch',
  );
  for (const body of ['not json', '{"events":{}}', '{"events":[{"id":1}]}', '[]']) {
    const signed = signBody(SECRET, body, NOW_SEC);
    assert.equal(
      reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': signed }, body, at)),
      'invalid_body',
      body,
    );
  }
  const bad = Buffer.from([0x7b, 0xff, 0x7d]);
  assert.equal(
    reasonOf(() => verifyWebhook(SECRET, { 'switchboard-signature': signBody(SECRET, bad, NOW_SEC) }, bad, at)),
    'invalid_body',
    'invalid UTF-8',
  );
});
