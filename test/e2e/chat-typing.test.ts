// The chat page's typing signal (web/typing.ts, DOM-free): on while drafting a room message, off for a command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypingSignal, isRoomDraft } from '../../web/typing.ts';

test('a /msg draft is not a room draft; text is, blank is not', () => {
  assert.equal(isRoomDraft('/msg bob hi'), false);
  assert.equal(isRoomDraft('  /msg bob hi'), false);
  assert.equal(isRoomDraft('   '), false);
  assert.equal(isRoomDraft('hello /msg'), true);
});

test('typing goes on once per repeat period, off when the draft turns into a command, and never for private messages', () => {
  const sent: string[] = [];
  const sink = (channel: string, on: boolean): void => {
    sent.push(`${channel}:${on ? 'on' : 'off'}`);
  };
  const signal = new TypingSignal();
  signal.update(sink, 'chat:general', '/msg bob');
  assert.deepEqual(sent, [], 'a private-message draft tells the room nothing');
  signal.update(sink, 'chat:general', 'h');
  signal.update(sink, 'chat:general', 'he');
  assert.deepEqual(sent, ['chat:general:on'], 'repeats within the period are not sent');
  signal.update(sink, 'chat:general', '/msg bob he');
  assert.deepEqual(sent, ['chat:general:on', 'chat:general:off'], 'turning the draft into a command stops typing');
  signal.update(sink, 'chat:side', 'x');
  signal.update(sink, null, 'x');
  assert.deepEqual(
    sent.slice(2),
    ['chat:side:on', 'chat:side:off'],
    'switching to the private room stops typing in the last room',
  );
  signal.update(sink, 'chat:general', 'y');
  signal.reset();
  signal.stop(sink);
  assert.deepEqual(sent.slice(4), ['chat:general:on'], 'after a dropped connection there is nothing to stop');
});
