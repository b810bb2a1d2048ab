// Documents, the fan-out's gathering (`documentFanoutBatchMs`): `auto` holds the fan-outs of a document with many
// peers until the end of the event-loop turn, never longer; a time holds a busy document's that long; what is held
// leaves complete and in order; 0 never holds; a document unloaded while holding sends nothing more. The fan-out runs
// here with peers that record what they get (timers mocked where a time is set, so its bound is checked exactly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as endOfTurn } from 'node:timers/promises';
import type { DocKind, ErrorCode } from '../../../src/messages/index.ts';
import type { Identity } from '../../../src/realtime/auth/identity.ts';
import {
  AUTO_GATHER_MIN_PEERS,
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
  const fanout = new DocumentFanout('doc:test', members, batch, {
    deliver(frame, transports) {
      deliveries++;
      for (const transport of transports) transport.send(frame);
    },
  });
  const got = (id: string) => (members.get(id)!.peer as RecordingPeer).transport.frames;
  return { members, fanout, got, deliveries: () => deliveries };
}

test('auto: a document with few peers never holds a fan-out', () => {
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

test('auto: a document with many peers sends what one turn gathered at the end of that turn, all and in order', async () => {
  const { members, fanout, got, deliveries } = setup(AUTO_GATHER_MIN_PEERS, 'auto');
  const writers = [members.get('p0'), members.get('p1')];
  const kindOf = (i: number) => (i % 3 === 2 ? 'awareness' : 'update');
  for (let i = 0; i < 10; i++) fanout.send(kindOf(i), Uint8Array.of(i), writers[i % 2]);
  assert.deepEqual(got('p2'), [], 'held during the turn');
  await endOfTurn();
  const expected = Array.from({ length: 10 }, (_, i) => `${kindOf(i)}:${i}`);
  assert.deepEqual(got('p2'), expected, 'at the end of the turn, every held message, in order');
  assert.deepEqual(
    got('p0'),
    expected.filter((_, i) => i % 2 === 1),
    "a writer gets the other writer's messages, not its own",
  );
  assert.equal(deliveries(), 10, 'one broadcast per message');
  fanout.send('update', Uint8Array.of(10), writers[0]);
  await endOfTurn();
  assert.deepEqual(got('p2').at(-1), 'update:10', 'the next turn gathers anew');
});

test('auto: a document that falls below the peer threshold stops holding, after what it held', async () => {
  const { members, fanout, got } = setup(AUTO_GATHER_MIN_PEERS, 'auto');
  const origin = members.get('p0');
  fanout.send('update', Uint8Array.of(0), origin);
  members.delete(`p${AUTO_GATHER_MIN_PEERS - 1}`);
  fanout.send('update', Uint8Array.of(1), origin);
  assert.deepEqual(got('p1'), [], 'what follows a held message waits behind it (order kept)');
  await endOfTurn();
  assert.deepEqual(got('p1'), ['update:0', 'update:1']);
  fanout.send('update', Uint8Array.of(2), origin);
  assert.deepEqual(got('p1'), ['update:0', 'update:1', 'update:2'], 'then every update leaves at once');
});

test('0 never holds, whatever the number of peers; a time holds a busy document for at most that long', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const never = setup(AUTO_GATHER_MIN_PEERS * 2, 0);
  for (let i = 0; i < 5; i++) never.fanout.send('update', Uint8Array.of(i), never.members.get('p0'));
  assert.equal(never.got('p1').length, 5);
  const fixed = setup(2, 30);
  for (let i = 0; i < 5; i++) fixed.fanout.send('update', Uint8Array.of(i), fixed.members.get('p0'));
  assert.deepEqual(fixed.got('p1'), ['update:0'], 'the first leaves at once, the rest of the burst is held');
  t.mock.timers.tick(30);
  assert.deepEqual(
    fixed.got('p1'),
    Array.from({ length: 5 }, (_, i) => `update:${i}`),
    'and sent within that time, in order',
  );
});

test('held messages skip a peer that left and are dropped when the document unloads', async () => {
  const { members, fanout, got } = setup(AUTO_GATHER_MIN_PEERS + 1, 'auto');
  const origin = members.get('p0');
  fanout.send('update', Uint8Array.of(0), origin);
  const leaver = got('p1');
  members.delete('p1');
  await endOfTurn();
  assert.deepEqual(leaver, [], 'a peer gone before the held send gets nothing');
  assert.deepEqual(got('p2'), ['update:0'], 'the others get it');
  fanout.send('update', Uint8Array.of(1), origin);
  fanout.destroy();
  await endOfTurn();
  await endOfTurn();
  assert.deepEqual(got('p2'), ['update:0'], 'an unloaded document sends nothing held');
});
