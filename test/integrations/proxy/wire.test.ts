// The proxy's reading of backend answers (src/integrations/proxy/wire.ts), as general rules: any bytes are read
// without throwing, and an answer is an allow only when it is exactly the contract's shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkJsonValue } from '../../../src/messages/index.ts';
import { PROXY_REQUEST_KINDS } from '../../../src/integrations/index.ts';
import { REFUSAL_CODES } from '../../../src/realtime/index.ts';
import { readAnswer } from '../../../src/integrations/proxy/wire.ts';

const kind = fc.constantFrom(...PROXY_REQUEST_KINDS);

test('any bytes are read without throwing', () => {
  fc.assert(
    fc.property(kind, fc.uint8Array({ maxLength: 256 }), (k, bytes) => {
      readAnswer(k, Buffer.from(bytes));
    }),
  );
  fc.assert(
    fc.property(kind, fc.json(), (k, text) => {
      readAnswer(k, Buffer.from(text));
    }),
  );
});

test('an object with any top-level field besides result and error is never an allow nor a refusal', () => {
  fc.assert(
    fc.property(
      kind,
      fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
      fc.string().filter((k) => k !== 'result' && k !== 'error'),
      (k, value, extra) => {
        const answer = readAnswer(k, Buffer.from(JSON.stringify({ ...value, [extra]: 1 })));
        assert.equal(answer.ok, false);
      },
    ),
  );
});

test('a refusal is read only with one of the refusal codes', () => {
  fc.assert(
    fc.property(kind, fc.string(), fc.string({ maxLength: 300 }), (k, code, message) => {
      const answer = readAnswer(k, Buffer.from(JSON.stringify({ error: { code, message } })));
      if (REFUSAL_CODES.has(code)) {
        assert.ok(answer.ok && answer.refusal !== null);
        assert.equal(answer.refusal.refuse.code, code);
        assert.ok(answer.refusal.refuse.message.length <= 256);
      } else {
        assert.equal(answer.ok, false);
      }
    }),
  );
});

test('publish and rpc data come back as sent, unless they hold a reserved key (__proto__, constructor, prototype)', () => {
  fc.assert(
    fc.property(fc.constantFrom('publish', 'rpc' as const), fc.jsonValue({ maxDepth: 6 }), (k, data) => {
      const text = JSON.stringify({ result: { data } });
      const answer = readAnswer(k, Buffer.from(text));
      if (checkJsonValue(JSON.parse(text), 64) !== null) {
        assert.equal(answer.ok, false);
        return;
      }
      assert.ok(answer.ok && answer.refusal === null);
      // Compared through JSON: fast-check may produce -0, which JSON writes as 0.
      assert.deepEqual(answer.data, JSON.parse(JSON.stringify(data)));
    }),
  );
});
