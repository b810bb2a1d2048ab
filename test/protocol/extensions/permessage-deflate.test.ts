// Tests for src/protocol/extensions/permessage-deflate.ts: RFC 7692 §7 negotiation, docs/security-cases.md PD-01..PD-03.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeError } from '../../../src/protocol/errors.ts';
import {
  PERMESSAGE_DEFLATE,
  acceptDeflateOffer,
  buildDeflateOffer,
  validateDeflateResponse,
  zlibWindowBits,
} from '../../../src/protocol/extensions/permessage-deflate.ts';
import type {
  DeflateClientOptions,
  DeflateParams,
  DeflateServerOptions,
} from '../../../src/protocol/extensions/permessage-deflate.ts';
import { parseExtensionHeader } from '../../../src/protocol/handshake/header-tokens.ts';
import type { ExtensionOffer } from '../../../src/protocol/handshake/header-tokens.ts';

const DEFAULTS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function accept(
  header: string,
  options: DeflateServerOptions = {},
): { params: DeflateParams; response: string } | null {
  return acceptDeflateOffer(parseExtensionHeader(header), options);
}

function only(header: string): ExtensionOffer {
  const [ext] = parseExtensionHeader(header);
  assert.ok(ext);
  return ext;
}

function failsResponse(header: string, offered: DeflateClientOptions): void {
  assert.throws(
    () => validateDeflateResponse(only(header), offered),
    (e: unknown) => e instanceof HandshakeError && e.code === 'WS_ERR_INVALID_EXTENSION' && e.status === 101,
    header,
  );
}

test('RFC 7692 §7.1.3 example: the simplest offer "permessage-deflate" is accepted with the same simplest answer', () => {
  assert.deepEqual(accept('permessage-deflate'), { params: DEFAULTS, response: 'permessage-deflate' });
  assert.deepEqual(validateDeflateResponse(only('permessage-deflate'), {}), DEFAULTS);
});

test('RFC 7692 §7.1.3 example: a fallback list is answered by accepting the first option with server_max_window_bits=10', () => {
  const offers =
    'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits';
  const result = accept(offers);
  assert.equal(result?.response, 'permessage-deflate; server_max_window_bits=10');
  assert.deepEqual(result?.params, { ...DEFAULTS, serverMaxWindowBits: 10 });
  // and the client that offered it agrees
  assert.deepEqual(
    validateDeflateResponse(only('permessage-deflate; server_max_window_bits=10'), { serverMaxWindowBits: 10 }),
    {
      ...DEFAULTS,
      serverMaxWindowBits: 10,
    },
  );
});

test('RFC 7692 §7.1.3 example: the second option alone is accepted as "permessage-deflate"', () => {
  assert.equal(accept('permessage-deflate; client_max_window_bits')?.response, 'permessage-deflate');
});

test('PD-01 server declines invalid offers instead of failing the handshake (RFC 7692 §7 "MUST decline")', () => {
  const invalid = [
    'permessage-deflate; foo', // "parameter not defined for use in an offer"
    'permessage-deflate; server_max_window_bits=7', // "invalid value"
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=09', // "without leading zeroes"
    'permessage-deflate; server_max_window_bits=abc',
    'permessage-deflate; server_max_window_bits', // §7.1.2.1 value required
    'permessage-deflate; server_max_window_bits=100',
    'permessage-deflate; client_max_window_bits=7',
    'permessage-deflate; client_max_window_bits=16',
    'permessage-deflate; client_max_window_bits=0',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover', // "multiple ... same name"
    'permessage-deflate; client_max_window_bits; client_max_window_bits=10',
    'permessage-deflate; server_no_context_takeover=1', // §7.1.1.1 "no value"
    'permessage-deflate; client_no_context_takeover=true',
    'permessage-deflate; __proto__=1',
    'permessage-deflate; constructor',
  ];
  for (const offer of invalid) {
    assert.equal(accept(offer), null, offer);
    // the same invalid offer followed by a valid fallback: the fallback wins
    assert.deepEqual(
      accept(`${offer}, permessage-deflate`),
      { params: DEFAULTS, response: 'permessage-deflate' },
      offer,
    );
  }
});

test('PD-02 with several offers the first acceptable one wins (RFC 7692 §5 order of preference)', () => {
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=7, permessage-deflate')?.response,
    'permessage-deflate',
  );
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=11, permessage-deflate; server_max_window_bits=12')?.response,
    'permessage-deflate; server_max_window_bits=11',
  );
});

test('unknown and prototype-named extensions are ignored, and no offer gives null (HS-15)', () => {
  assert.equal(accept('x-webkit-deflate-frame, constructor, toString'), null);
  assert.equal(acceptDeflateOffer([], {}), null);
  assert.equal(accept('constructor; __proto__=1, permessage-deflate')?.response, 'permessage-deflate');
  assert.equal(accept('PERMESSAGE-DEFLATE'), null);
});

test('PD-03 an offered server_no_context_takeover is honoured (RFC 7692 §7.1.1.1 accepted "by including")', () => {
  const r = accept('permessage-deflate; server_no_context_takeover');
  assert.equal(r?.response, 'permessage-deflate; server_no_context_takeover');
  assert.equal(r?.params.serverNoContextTakeover, true);
});

test('an offered client_no_context_takeover is echoed and the server option adds it (RFC 7692 §7.1.1.2)', () => {
  assert.equal(
    accept('permessage-deflate; client_no_context_takeover')?.response,
    'permessage-deflate; client_no_context_takeover',
  );
  const r = accept('permessage-deflate', { clientNoContextTakeover: true, serverNoContextTakeover: true });
  assert.equal(r?.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  assert.deepEqual(r?.params, { ...DEFAULTS, serverNoContextTakeover: true, clientNoContextTakeover: true });
});

test('PD-03 server_max_window_bits in the answer is never above the offer (RFC 7692 §7.1.2.1 "the same or smaller value")', () => {
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 })?.response,
    'permessage-deflate; server_max_window_bits=10',
  );
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 10 })?.response,
    'permessage-deflate; server_max_window_bits=9',
  );
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=15')?.response,
    'permessage-deflate; server_max_window_bits=15',
  );
  // §7.1.2.1: the server MAY include it even when the offer did not
  const r = accept('permessage-deflate', { serverMaxWindowBits: 11 });
  assert.equal(r?.response, 'permessage-deflate; server_max_window_bits=11');
  assert.equal(r?.params.serverMaxWindowBits, 11);
});

test('PD-03 client_max_window_bits is answered only when offered (RFC 7692 §7.1.2.2 "MUST NOT include")', () => {
  assert.equal(
    accept('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })?.response,
    'permessage-deflate; client_max_window_bits=10',
  );
  assert.equal(
    accept('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 })?.response,
    'permessage-deflate; client_max_window_bits=10',
  );
  const hinted = accept('permessage-deflate; client_max_window_bits=12');
  assert.equal(hinted?.response, 'permessage-deflate; client_max_window_bits=12');
  assert.equal(hinted?.params.clientMaxWindowBits, 12);
  assert.equal(
    accept('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 10 })?.params.clientMaxWindowBits,
    9,
  );
  // a server that must bound the client window declines an offer that cannot carry the bound, and takes a fallback that can
  assert.equal(accept('permessage-deflate', { clientMaxWindowBits: 10 }), null);
  assert.equal(
    accept('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })?.response,
    'permessage-deflate; client_max_window_bits=10',
  );
});

test('window bits 8: the server never promises a 256-byte window it would compress with (zlib raises 8 to 9)', () => {
  assert.equal(accept('permessage-deflate; server_max_window_bits=8'), null);
  assert.equal(
    accept('permessage-deflate; server_max_window_bits=8, permessage-deflate')?.response,
    'permessage-deflate',
  );
  assert.equal(
    accept('permessage-deflate', { serverMaxWindowBits: 8 })?.response,
    'permessage-deflate; server_max_window_bits=9',
  );
  assert.equal(
    accept('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 8 })?.response,
    'permessage-deflate; client_max_window_bits=9',
  );
  // the client's own promise of 8 is accepted; the inflater then uses 9, which decodes it
  const r = accept('permessage-deflate; client_max_window_bits=8');
  assert.equal(r?.params.clientMaxWindowBits, 8);
  assert.equal(zlibWindowBits(8), 9);
  for (let bits = 9; bits <= 15; bits++) assert.equal(zlibWindowBits(bits), bits);
});

test('server options outside 8-15 are caller misuse: RangeError', () => {
  for (const bad of [7, 16, 10.5, Number.NaN, -1]) {
    assert.throws(() => acceptDeflateOffer([], { serverMaxWindowBits: bad }), RangeError);
    assert.throws(() => acceptDeflateOffer([], { clientMaxWindowBits: bad }), RangeError);
  }
});

test('buildDeflateOffer writes the offer, client_max_window_bits by default (RFC 7692 §7.1.2.2)', () => {
  assert.equal(buildDeflateOffer(), 'permessage-deflate; client_max_window_bits');
  assert.equal(buildDeflateOffer({ clientMaxWindowBits: false }), 'permessage-deflate');
  assert.equal(
    buildDeflateOffer({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    }),
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
  );
  assert.equal(
    buildDeflateOffer({ serverMaxWindowBits: 8, clientMaxWindowBits: 8 }),
    'permessage-deflate; server_max_window_bits=9; client_max_window_bits=9',
  );
  assert.throws(() => buildDeflateOffer({ serverMaxWindowBits: 16 }), RangeError);
  assert.throws(() => buildDeflateOffer({ clientMaxWindowBits: 7 }), RangeError);
  assert.equal(only(buildDeflateOffer()).name, PERMESSAGE_DEFLATE);
});

test('validateDeflateResponse returns the agreed parameters of a legal answer (RFC 7692 §7.1)', () => {
  assert.deepEqual(
    validateDeflateResponse(
      only(
        'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
      ),
      {},
    ),
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 },
  );
  // the server's own window may be 8: this client inflates with zlibWindowBits(8) = 9
  assert.equal(
    validateDeflateResponse(only('permessage-deflate; server_max_window_bits=8'), {}).serverMaxWindowBits,
    8,
  );
  // an offered client promise stands even when the answer does not repeat it
  assert.equal(
    validateDeflateResponse(only('permessage-deflate'), { clientMaxWindowBits: 11 }).clientMaxWindowBits,
    11,
  );
  assert.equal(
    validateDeflateResponse(only('permessage-deflate'), { clientNoContextTakeover: true }).clientNoContextTakeover,
    true,
  );
});

test('client fails an answer with an unknown, repeated or invalid parameter (RFC 7692 §7 "MUST _Fail the WebSocket Connection_")', () => {
  for (const header of [
    'permessage-deflate; foo',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=09',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; client_max_window_bits', // a response value is required
    'permessage-deflate; client_max_window_bits=16',
    'x-other',
  ]) {
    failsResponse(header, {});
  }
});

test('client fails client_max_window_bits it did not offer, above its offer, or 8 (RFC 7692 §7.1.2.2)', () => {
  failsResponse('permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: false });
  failsResponse('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 11 });
  failsResponse('permessage-deflate; client_max_window_bits=8', {});
  assert.equal(
    validateDeflateResponse(only('permessage-deflate; client_max_window_bits=10'), { clientMaxWindowBits: 11 })
      .clientMaxWindowBits,
    10,
  );
});

test('client fails an answer that ignores server_max_window_bits or server_no_context_takeover it asked for (RFC 7692 §7.1.2.1, §7.1.1.1)', () => {
  failsResponse('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 });
  failsResponse('permessage-deflate', { serverMaxWindowBits: 10 });
  failsResponse('permessage-deflate', { serverNoContextTakeover: true });
  assert.equal(
    validateDeflateResponse(only('permessage-deflate; server_max_window_bits=9'), { serverMaxWindowBits: 10 })
      .serverMaxWindowBits,
    9,
  );
});

const bits = fc.integer({ min: 8, max: 15 });
const serverOptions = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: bits,
    clientMaxWindowBits: bits,
  },
  { requiredKeys: [] },
);
const clientOptions = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: bits,
    clientMaxWindowBits: fc.oneof(bits, fc.boolean()),
  },
  { requiredKeys: [] },
);

test('property: whatever both sides configure, the server and the client agree on the same parameters, or the server declines only when the client offered no client_max_window_bits', () => {
  fc.assert(
    fc.property(serverOptions, clientOptions, (server, client) => {
      const result = acceptDeflateOffer(parseExtensionHeader(buildDeflateOffer(client)), server);
      if (result === null) {
        assert.equal(client.clientMaxWindowBits, false);
        assert.ok(zlibWindowBits(server.clientMaxWindowBits ?? 15) < 15);
        return;
      }
      assert.deepEqual(validateDeflateResponse(only(result.response), client), result.params);
      // the window this side compresses with is never 8
      assert.notEqual(result.params.serverMaxWindowBits, 8);
      assert.notEqual(result.params.clientMaxWindowBits, 8);
    }),
    { numRuns: 2000 },
  );
});

test('property: negotiation never throws on hostile offers and only ever answers legal responses', () => {
  const name = fc.constantFrom(
    'server_no_context_takeover',
    'client_no_context_takeover',
    'server_max_window_bits',
    'client_max_window_bits',
    'x',
    '__proto__',
  );
  const paramValue = fc.oneof(
    fc.constant(true as const),
    fc.constantFrom('7', '8', '9', '10', '15', '16', '09', 'abc'),
  );
  const offer = fc.record({
    name: fc.constantFrom(PERMESSAGE_DEFLATE, 'other'),
    params: fc.array(fc.tuple(name, paramValue), { maxLength: 5 }),
  });
  fc.assert(
    fc.property(fc.array(offer, { maxLength: 4 }), serverOptions, (raw, server) => {
      const header = raw
        .map((o) => [o.name, ...o.params.map(([k, v]) => (v === true ? k : `${k}=${v}`))].join('; '))
        .join(', ');
      const offers = header === '' ? [] : parseExtensionHeader(header);
      const result = acceptDeflateOffer(offers, server);
      if (result === null) return;
      const answer = only(result.response);
      assert.equal(answer.name, PERMESSAGE_DEFLATE);
      for (const key of answer.params.keys()) {
        assert.ok(
          [
            'server_no_context_takeover',
            'client_no_context_takeover',
            'server_max_window_bits',
            'client_max_window_bits',
          ].includes(key),
        );
      }
      assert.ok(result.params.serverMaxWindowBits >= 9 && result.params.serverMaxWindowBits <= 15);
      assert.ok(result.params.clientMaxWindowBits >= 8 && result.params.clientMaxWindowBits <= 15);
    }),
    { numRuns: 1000 },
  );
});
