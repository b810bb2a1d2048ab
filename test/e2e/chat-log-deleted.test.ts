// The chat page's log and deletions, without a browser: a deleted line keeps its place and loses its text, a tombstone
// never shown gets a placeholder, and a late copy of the publication cannot bring the text back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatLog, DELETED_TEXT } from '../../web/chat-log.ts';

const at = (offset: number) => ({ epoch: 'e1', offset });
const message = (offset: number, text: string) =>
  ({ kind: 'message', sender: 'alice', text, time: offset, position: at(offset) }) as const;

test('a deleted line shows the placeholder in its place, and a late copy does not restore it', () => {
  const log = new ChatLog();
  log.publication(message(1, 'one'));
  log.publication(message(2, 'two'));
  log.publication(message(3, 'three'));
  log.deleted(at(2));
  assert.deepEqual(
    log.lines.map((l) => [l.text, l.deleted === true]),
    [
      ['one', false],
      [DELETED_TEXT, true],
      ['three', false],
    ],
  );
  assert.equal(log.publication(message(2, 'two')), false, 'already shown at that position');
  assert.equal(log.lines[1]!.text, DELETED_TEXT);
});

test('a tombstone for a publication never shown takes its place in order, once', () => {
  const log = new ChatLog();
  log.publication(message(1, 'one'));
  log.publication(message(3, 'three'));
  log.deleted(at(2), 2);
  log.deleted(at(2), 2);
  assert.deepEqual(
    log.lines.map((l) => l.text),
    ['one', DELETED_TEXT, 'three'],
  );
  assert.equal(log.publication(message(2, 'two')), false);
  log.deleted({ epoch: 'e2', offset: 2 });
  assert.equal(log.lines.length, 4, 'another epoch is another publication');
});
