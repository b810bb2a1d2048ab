// The chat page's room model (web/chat-log.ts, DOM-free, so it runs here without a browser): publications keyed by
// epoch and offset, own messages pending until the ack, the break after a lost history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLog, MAX_LINES } from '../../web/chat-log.ts';

const at = (epoch: string, offset: number) => ({ epoch, offset });
const message = (text: string, epoch: string, offset: number, extra: { id?: string; mine?: boolean } = {}) => ({
  kind: 'message' as const,
  sender: extra.mine === true ? 'me' : 'bob',
  text,
  time: 0,
  position: at(epoch, offset),
  ...extra,
});
const texts = (log: ChatLog) => log.lines.map((l) => l.text);

test('the same offset in a new epoch is a new message; the same epoch and offset is shown once', () => {
  const log = new ChatLog();
  assert.equal(log.publication(message('old one', 'E1', 1)), true);
  assert.equal(log.publication(message('old two', 'E1', 2)), true);
  assert.equal(log.publication(message('old one again', 'E1', 1)), false, 'a repeat of E1:1');
  assert.equal(log.publication(message('new one', 'E2', 1)), true, 'E2:1 after a restart is not E1:1');
  assert.deepEqual(texts(log), ['old one', 'old two', 'new one']);
});

test('a publication reloaded from history goes before the later ones of its epoch', () => {
  const log = new ChatLog();
  log.publication(message('three', 'E', 3));
  log.publication(message('five', 'E', 5));
  log.publication(message('four', 'E', 4));
  assert.deepEqual(texts(log), ['three', 'four', 'five']);
});

test('an own message stays pending and last until acknowledged, then takes its place once', () => {
  const log = new ChatLog();
  log.pending({ kind: 'message', sender: 'me', text: 'mine', time: 0, id: 'm1' });
  log.notice('Connection lost');
  log.publication(message('from bob', 'E', 1));
  assert.deepEqual(texts(log), ['Connection lost', 'from bob', 'mine']);
  assert.equal(log.lines.at(-1)!.status, 'pending');

  log.acknowledged('m1', at('E', 2));
  assert.deepEqual(texts(log), ['Connection lost', 'from bob', 'mine']);
  assert.equal(log.lines.at(-1)!.status, undefined, 'no longer pending');
  assert.equal(
    log.publication(message('mine', 'E', 2, { id: 'm1', mine: true })),
    false,
    'the echo is not shown twice',
  );
  assert.equal(log.lines.length, 3);
});

test('an own message whose echo arrives before the ack replaces the pending line', () => {
  const log = new ChatLog();
  log.pending({ kind: 'message', sender: 'me', text: 'mine', time: 0, id: 'm1' });
  assert.equal(log.publication(message('mine', 'E', 1, { id: 'm1', mine: true })), true);
  log.acknowledged('m1', at('E', 1));
  assert.deepEqual(texts(log), ['mine']);
  assert.equal(log.lines.filter((l) => l.status !== undefined).length, 0);
});

test('a private message is acknowledged in place; a refused one is marked as not sent', () => {
  const log = new ChatLog();
  log.pending({ kind: 'private', sender: 'me → bob', text: 'psst', time: 0, id: 'p1' });
  log.pending({ kind: 'private', sender: 'me → eve', text: 'nope', time: 0, id: 'p2' });
  log.acknowledged('p1', undefined);
  log.failed('p2', 'forbidden');
  assert.deepEqual(
    log.lines.map((l) => [l.text, l.status ?? 'sent', l.note ?? '']),
    [
      ['psst', 'sent', ''],
      ['nope', 'failed', 'forbidden'],
    ],
  );
});

test('the break goes after the old epoch and before what the new epoch already showed', () => {
  const log = new ChatLog();
  log.publication(message('old', 'E1', 7));
  log.notice('Reconnected');
  // Acknowledged in the new epoch before the gap was reported.
  log.pending({ kind: 'message', sender: 'me', text: 'queued', time: 0, id: 'q' });
  log.acknowledged('q', at('E2', 1));
  log.cut('cut here', at('E1', 7), at('E2', 1));
  log.publication(message('next', 'E2', 2));
  assert.deepEqual(texts(log), ['old', 'Reconnected', 'cut here', 'queued', 'next']);
  assert.equal(log.lines[2]!.kind, 'break');
});

test('a break within one epoch goes before the offsets after the last one known', () => {
  const log = new ChatLog();
  log.publication(message('one', 'E', 1));
  log.publication(message('nine', 'E', 9));
  log.cut('missing 2-8', at('E', 1), at('E', 9));
  assert.deepEqual(texts(log), ['one', 'missing 2-8', 'nine']);
});

test('the log keeps the last MAX_LINES lines and forgets the positions it dropped', () => {
  const log = new ChatLog();
  for (let i = 1; i <= MAX_LINES + 10; i++) log.publication(message(`m${i}`, 'E', i));
  assert.equal(log.lines.length, MAX_LINES);
  assert.equal(log.lines[0]!.text, 'm11');
  assert.equal(log.has(at('E', 10)), false);
  assert.equal(log.has(at('E', 11)), true);
});
