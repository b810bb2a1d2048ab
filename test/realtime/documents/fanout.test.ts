// Documents, the fan-out's gathering (`documentFanoutBatchMs`): `auto` holds only a busy document with many peers,
// for at most AUTO_GATHER_MS; what is held leaves complete and in order; 0 never holds; a document unloaded while
// holding sends nothing more. The fan-out runs here with peers that record what they get (the timers are mocked, so
// the bound is checked exactly).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { DocKind, ErrorCode } from '../../../src/messages/index.ts';
import type { Identity } from '../../../src/realtime/auth/identity.ts';
import {
  AUTO_GATHER_MIN_PEERS,
  AUTO_GATHER_MS,
  DocumentFanout,
  type FanoutBatch,
  type FanoutMember,
} from '../../../src/realtime/documents/fanout.ts';
import type { DocumentPeer } from '../../../src/realtime/documents/peer.ts';
import type { SessionTransport } from '../../../src/realtime/transport.ts';

/** A transport that keeps the frames a broadcast handed it. */
class RecordingTransport implements SessionTransport {
  readonly remoteAddress = 'test';
  readonly protocol = '';
  readonly bufferedAmount = 0;
  readonly frames: string[] = [];
  send(frame: string | Uint8Array): void {
    this.frames.push(String(frame));
  }
  close(): void {}
}

/** A peer whose frames are `kind:byte` text, sent through its recording transport. */
class RecordingPeer implements DocumentPeer {
  readonly id: string;
  readonly format = 'test';
  readonly transport = new RecordingTransport();
  constructor(id: string) {
    this.id = id;
  }
  get identity(): Identity {
    throw new Error('not used by the fan-out');
  }
  frame(_channel: string, kind: DocKind, bytes: Uint8Array): string {
    return `${kind}:${bytes[0]}`;
  }
  sendFrame(frame: string | Uint8Array): void {
    this.transport.send(frame);
  }
  fannedOut(): void {}
  refuse(_code: ErrorCode, _message: string): void {}
  accepted(): void {}
  lost(): void {}
}

function setup(peers: number, batch: FanoutBatch) {
  const members = new Map<string, FanoutMember>();
  for (let i = 0; i < peers; i++) members.set(`p${i}`, { peer: new RecordingPeer(`p${i}`), greeted: true });
  let deliveries = 0;
  const fanout = new DocumentFanout('doc:test', members, batch, (frame, transports) => {
    deliveries++;
    for (const transport of transports) transport.send(frame);
  });
  const got = (id: string) => (members.get(id)!.peer as RecordingPeer).transport.frames;
  return { members, fanout, got, deliveries: () => deliveries };
}

function mockTimers(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout'] });
}

test('auto: a document with few peers never holds a fan-out', (t) => {
  mockTimers(t);
  const { members, fanout, got } = setup(AUTO_GATHER_MIN_PEERS - 1, 'auto');
  const origin = members.get('p0');
  for (let i = 0; i < 20; i++) fanout.send('update', Uint8Array.of(i), origin);
  assert.deepEqual(
    got('p1'),
    Array.from({ length: 20 }, (_, i) => `update:${i}`),
    'every update left at once',
  );
  assert.deepEqual(got('p0'), [], 'nothing goes back to the writer');
});

test('auto: a busy document with many peers holds for at most AUTO_GATHER_MS, then sends all in order', (t) => {
  mockTimers(t);
  const { members, fanout, got, deliveries } = setup(AUTO_GATHER_MIN_PEERS, 'auto');
  const writers = [members.get('p0'), members.get('p1')];
  fanout.send('update', Uint8Array.of(0), writers[0]);
  assert.deepEqual(got('p2'), ['update:0'], 'the first update after a quiet spell leaves at once');
  for (let i = 1; i < 10; i++) fanout.send(i % 3 === 0 ? 'awareness' : 'update', Uint8Array.of(i), writers[i % 2]);
  assert.equal(got('p2').length, 1, 'the burst is held');
  const before = deliveries();
  t.mock.timers.tick(AUTO_GATHER_MS);
  const expected = Array.from({ length: 10 }, (_, i) => `${i % 3 === 0 && i > 0 ? 'awareness' : 'update'}:${i}`);
  assert.deepEqual(got('p2'), expected, 'within the bound, every held message arrived, in order');
  assert.deepEqual(
    got('p0'),
    expected.filter((_, i) => i % 2 === 1),
    "a writer gets the other writer's messages, not its own",
  );
  assert.equal(deliveries() - before, 9, 'one broadcast per held message');
});

test('auto: a document that falls below the peer threshold stops holding', (t) => {
  mockTimers(t);
  const { members, fanout, got } = setup(AUTO_GATHER_MIN_PEERS, 'auto');
  const origin = members.get('p0');
  fanout.send('update', Uint8Array.of(0), origin);
  fanout.send('update', Uint8Array.of(1), origin);
  assert.deepEqual(got('p1'), ['update:0'], 'held while many peers');
  members.delete(`p${AUTO_GATHER_MIN_PEERS - 1}`);
  fanout.send('update', Uint8Array.of(2), origin);
  assert.deepEqual(got('p1'), ['update:0'], 'what follows a held message waits behind it (order kept)');
  t.mock.timers.tick(AUTO_GATHER_MS);
  assert.deepEqual(got('p1'), ['update:0', 'update:1', 'update:2']);
  fanout.send('update', Uint8Array.of(3), origin);
  assert.deepEqual(got('p1'), ['update:0', 'update:1', 'update:2', 'update:3'], 'then every update leaves at once');
});

test('0 never holds, whatever the number of peers; a number holds for that long', (t) => {
  mockTimers(t);
  const never = setup(AUTO_GATHER_MIN_PEERS * 2, 0);
  for (let i = 0; i < 5; i++) never.fanout.send('update', Uint8Array.of(i), never.members.get('p0'));
  assert.equal(never.got('p1').length, 5);
  const fixed = setup(2, 30);
  for (let i = 0; i < 5; i++) fixed.fanout.send('update', Uint8Array.of(i), fixed.members.get('p0'));
  assert.equal(fixed.got('p1').length, 1, 'an explicit time holds even with two peers');
  t.mock.timers.tick(30);
  assert.equal(fixed.got('p1').length, 5, 'and sends them within that time');
});

test('held messages skip a peer that left and are dropped when the document unloads', (t) => {
  mockTimers(t);
  const { members, fanout, got } = setup(AUTO_GATHER_MIN_PEERS + 1, 'auto');
  const origin = members.get('p0');
  fanout.send('update', Uint8Array.of(0), origin);
  fanout.send('update', Uint8Array.of(1), origin);
  const leaver = got('p1');
  members.delete('p1');
  t.mock.timers.tick(AUTO_GATHER_MS);
  assert.deepEqual(leaver, ['update:0'], 'a peer gone before the held send gets nothing more');
  assert.deepEqual(got('p2'), ['update:0', 'update:1'], 'the others get everything');
  fanout.send('update', Uint8Array.of(2), origin);
  fanout.send('update', Uint8Array.of(3), origin);
  fanout.destroy();
  t.mock.timers.tick(AUTO_GATHER_MS * 10);
  assert.deepEqual(got('p2'), ['update:0', 'update:1'], 'an unloaded document sends nothing held');
});
