// Tests of BrokerError (src/broker/errors.ts): its wire-stable codes and their documentation (docs/architecture.md, Conventions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BrokerError, BROKER_ERROR_CODES } from '../../src/broker/index.ts';

test('every broker error code is listed in docs/errors.md (docs/architecture.md, Conventions)', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const code of BROKER_ERROR_CODES) assert.ok(doc.includes(`\`${code}\``), `${code} missing from docs/errors.md`);
});

test('BrokerError carries its code, its name and its cause', () => {
  const cause = new Error('ECONNREFUSED');
  const error = new BrokerError('Cannot publish: Redis is unreachable', { code: 'BROKER_UNAVAILABLE', cause });
  assert.equal(error.name, 'BrokerError');
  assert.equal(error.code, 'BROKER_UNAVAILABLE');
  assert.equal(error.cause, cause);
  assert.ok(error instanceof Error);
});
