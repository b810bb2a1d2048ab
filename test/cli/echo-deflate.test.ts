// Tests of `switchboard echo --deflate` (src/cli/echo.ts): permessage-deflate is negotiated only with the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/engine/index.ts';
import { nextEvent } from '../helpers/engine-fixtures.ts';
import { spawnEcho } from '../helpers/cli-fixtures.ts';

test('echo --deflate negotiates permessage-deflate and echoes compressed messages; without the flag it is off', async (t) => {
  const { url } = await spawnEcho(t, ['--deflate']);
  const ws = await connect(url, { perMessageDeflate: true });
  assert.equal(ws.extensions, 'permessage-deflate');
  const text = 'compress me '.repeat(1000);
  const next = nextEvent<{ data: unknown }>(ws, 'message');
  ws.send(text);
  assert.equal((await next).data, text);
  ws.close();

  const plain = await spawnEcho(t);
  const ws2 = await connect(plain.url, { perMessageDeflate: true });
  assert.equal(ws2.extensions, '');
  ws2.close();
});

test('echo --help lists --deflate', async () => {
  const { USAGE } = await import('../../src/cli/echo.ts');
  assert.match(USAGE, /--deflate/);
});
