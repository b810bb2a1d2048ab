// Runs the RFC 6455 / Autobahn 1-7 vector table for both roles and diffs the outcomes against the
// committed conformance file (docs/architecture.md, Conventions). Regenerate deliberately with UPDATE_VECTORS=1.
// Output is taken once at the end, as by an engine whose socket never drains: pong coalescing
// beyond 16 pending pongs (§5.5.3) then acts the same however the input was chunked. Events are
// handled (echo rows answer messages) before the output is taken, as the engine does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection } from '../../src/protocol/index.ts';
import type { ConnectionEvent, Role } from '../../src/protocol/index.ts';
import { VECTORS, utf8 } from './rfc6455.ts';
import type { Vector } from './rfc6455.ts';

const EXPECTED_FILE = fileURLToPath(new URL('./rfc6455.expected.json', import.meta.url));
const KEY = [0x37, 0xfa, 0x21, 0x3d];

function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** Masks every frame of an unmasked stream (tolerating truncated or nonsensical lengths). */
export function maskStream(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    out.push(bytes[i]!);
    if (i + 1 >= bytes.length) break;
    const b1 = bytes[i + 1]!;
    const len7 = b1 & 0x7f;
    out.push(b1 | 0x80);
    i += 2;
    const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    let len = len7;
    if (ext > 0) {
      len = 0;
      for (let k = 0; k < ext && i < bytes.length; k++, i++) {
        len = len * 256 + bytes[i]!;
        out.push(bytes[i]!);
      }
    }
    out.push(...KEY);
    const end = Math.min(bytes.length, i + len);
    for (let k = 0; i < end; i++, k++) out.push(bytes[i]! ^ KEY[k & 3]!);
  }
  return new Uint8Array(out);
}

function inputFor(row: Vector, role: Role): Uint8Array {
  const raw = hexToBytes(row.hex);
  return row.role === 'both' && role === 'server' ? maskStream(raw) : raw;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function fnv(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function render(e: ConnectionEvent, short: boolean): string {
  const body = (b: Uint8Array, asText: boolean): string =>
    short && b.length > 64 ? `(${b.length})${fnv(b)}` : asText ? Buffer.from(b).toString('utf8') : hex(b);
  switch (e.type) {
    case 'message':
      return e.binary ? `binary:${body(e.data, false)}` : `text:${body(e.data, true)}`;
    case 'ping':
      return `ping:${body(e.data, false)}`;
    case 'pong':
      return `pong:${body(e.data, false)}`;
    case 'closing':
      return `closing:${e.code}`;
    case 'close':
      return e.wasClean ? `close:${e.code}` : `fail:${e.code}:${e.error?.code ?? '-'}`;
    case 'inflate':
      return `inflate:${body(e.data, false)}:${e.fin}`;
  }
}

/** Parses our own output back into frames, unmasking the client's. */
function renderOutput(parts: Uint8Array[]): string[] {
  const total = Buffer.concat(parts);
  const frames: string[] = [];
  let i = 0;
  while (i < total.length) {
    const b0 = total[i]!;
    const b1 = total[i + 1]!;
    let len = b1 & 0x7f;
    i += 2;
    if (len === 126) {
      len = total.readUInt16BE(i);
      i += 2;
    } else if (len === 127) {
      len = Number(total.readBigUInt64BE(i));
      i += 8;
    }
    let key: Buffer | null = null;
    if (b1 & 0x80) {
      key = total.subarray(i, i + 4);
      i += 4;
    }
    const payload = Buffer.from(total.subarray(i, i + len));
    if (key !== null) for (let k = 0; k < payload.length; k++) payload[k]! ^= key[k & 3]!;
    i += len;
    const op = b0 & 0x0f;
    const name = op === 8 ? 'close' : op === 9 ? 'ping' : op === 10 ? 'pong' : `op${op}`;
    frames.push(
      op === 8 && payload.length >= 2
        ? `out:close:${payload.readUInt16BE(0)}`
        : `out:${name}:${payload.length > 64 ? `(${payload.length})${fnv(payload)}` : payload.toString('hex')}`,
    );
  }
  return frames;
}

interface Outcome {
  readonly full: string[];
  readonly short: string[];
  readonly output: string[];
}

function run(row: Vector, role: Role, chunking: 'whole' | 'bytes' | 'halves'): Outcome {
  const conn = new Connection({ role, maskKeySource: () => new Uint8Array([1, 2, 3, 4]), ...row.options });
  const input = inputFor(row, role);
  const events: ConnectionEvent[] = [];
  const output: Uint8Array[] = [];
  const feed = (chunk: Uint8Array): void => {
    conn.receive(chunk);
    for (const e of conn.takeEvents()) {
      events.push(e);
      // Play the engine's part of the deflate seam: "inflate" the bytes unchanged.
      if (e.type === 'inflate') {
        conn.inflated(e.data.slice());
        conn.inflateEnd();
      }
      // Play an echo server's part: answer each message while handling its event.
      if (row.echo === true && e.type === 'message') {
        if (e.binary) conn.sendBinary(e.data.slice());
        else conn.sendText(e.data.slice());
      }
    }
  };
  if (chunking === 'whole') feed(input);
  else if (chunking === 'halves') {
    const mid = input.length >> 1;
    feed(input.subarray(0, mid));
    feed(input.subarray(mid));
  } else for (let i = 0; i < input.length; i++) feed(input.subarray(i, i + 1));
  for (const e of conn.takeEvents()) events.push(e);
  output.push(...conn.takeOutput());
  return {
    full: events.map((e) => render(e, false)),
    short: events.map((e) => render(e, true)),
    output: renderOutput(output),
  };
}

const outcomes: Record<string, string[]> = {};

for (const row of VECTORS) {
  const roles: Role[] = row.role === 'both' ? ['server', 'client'] : [row.role];
  for (const role of roles) {
    const rfc = row.rfc.startsWith('RFC') ? row.rfc : `RFC 6455 ${row.rfc}`;
    test(`${role} ${row.name} (${rfc}${row.autobahn === undefined ? '' : `; Autobahn ${row.autobahn}`})`, () => {
      const whole = run(row, role, 'whole');
      assert.deepEqual(run(row, role, 'bytes'), whole, 'one byte per receive() gives the same events and output');
      assert.deepEqual(run(row, role, 'halves'), whole, 'two chunks give the same events and output');
      const expect = row.expect;
      if ('close' in expect) {
        const last = whole.full.at(-1) ?? '';
        assert.match(last, new RegExp(`^fail:${expect.close}:`), `fails with ${expect.close}`);
        assert.deepEqual(whole.full.slice(0, -1), expect.events ?? [], 'events before the failure');
        assert.equal(whole.output.at(-1), `out:close:${expect.close}`, 'the close frame carries the code');
        if (row.echo === true) {
          // Every message before the failure is answered, and the answers leave before the Close frame.
          const echoes = whole.full
            .filter((e) => e.startsWith('text:') || e.startsWith('binary:'))
            .map((e) => (e.startsWith('text:') ? `out:op1:${utf8(e.slice(5))}` : `out:op2:${e.slice(7)}`));
          assert.deepEqual(
            whole.output.filter((o) => o.startsWith('out:op')),
            echoes,
            'one echo per message',
          );
          assert.ok(
            whole.output.findIndex((o) => o.startsWith('out:close')) >
              whole.output.findLastIndex((o) => o.startsWith('out:op')),
            'echoes precede the Close frame',
          );
        }
      } else {
        assert.deepEqual(whole.full, expect.events);
        const pings = whole.full.filter((e) => e.startsWith('ping:'));
        const pongs = whole.output.filter((o) => o.startsWith('out:pong:'));
        // §5.5.2 every ping answered, or §5.5.3 only the latest (coalesced while output is untaken).
        // §5.5.2 each ping is answered with its payload; beyond 16 pending pongs §5.5.3 lets the
        // newest replace the last pending one.
        const answered = pings.map((p) => {
          const payload = hexToBytes(p.slice(5));
          return `out:pong:${payload.length > 64 ? `(${payload.length})${fnv(payload)}` : hex(payload)}`;
        });
        const expectedPongs = answered.length > 16 ? [...answered.slice(0, 15), answered.at(-1)!] : answered;
        assert.deepEqual(pongs, expectedPongs, 'pongs echo the ping payloads');
        if (whole.full.includes(`closing:${whole.full.at(-1)?.slice(6)}`)) {
          const code = Number(whole.full.at(-1)!.slice(6));
          assert.equal(
            whole.output.at(-1),
            code === 1005 ? 'out:close:' : `out:close:${code}`,
            '§5.5.1 the close frame is echoed',
          );
        }
      }
      outcomes[`${role} ${row.name}`] = [...whole.short, ...whole.output];
    });
  }
}

test('the vector table has at least 120 rows and unique names', () => {
  assert.ok(VECTORS.length >= 120, `${VECTORS.length} rows`);
  assert.equal(new Set(VECTORS.map((v) => v.name)).size, VECTORS.length);
});

test('conformance gate: outcomes match test/vectors/rfc6455.expected.json', () => {
  const actual = `${JSON.stringify(outcomes, null, 1)}\n`;
  if (process.env['UPDATE_VECTORS'] === '1') writeFileSync(EXPECTED_FILE, actual);
  const expected = JSON.parse(readFileSync(EXPECTED_FILE, 'utf8')) as Record<string, string[]>;
  assert.deepEqual(
    outcomes,
    expected,
    'a change in outcome is either a regression or a deliberate update (UPDATE_VECTORS=1)',
  );
});
