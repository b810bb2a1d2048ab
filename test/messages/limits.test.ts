// Tests of the channel-name rule and printable-string checks (src/messages/limits.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limits, isValidChannelName, channelNamespace, isPrintableString } from '../../src/messages/index.ts';

const VALID = [
  'chat:general',
  'chat:a',
  'a:b',
  'doc:project:42',
  'user:alice@example.com',
  'ticker:AAPL',
  'chat:café',
  'chat:日本語',
  'ns_1-x:room.1',
  'chat:emoji😀',
  `n:${'x'.repeat(Limits.MAX_CHANNEL_LENGTH - 2)}`,
  `${'n'.repeat(64)}:x`,
];
const INVALID: [string, unknown][] = [
  ['empty', ''],
  ['no namespace', 'general'],
  ['empty namespace', ':general'],
  ['empty name', 'chat:'],
  ['too long', `n:${'x'.repeat(Limits.MAX_CHANNEL_LENGTH - 1)}`],
  ['namespace too long', `${'n'.repeat(65)}:x`],
  ['glob star (AP-09)', 'chat:*'],
  ['glob question mark (AP-09)', 'chat:a?b'],
  ['glob bracket (AP-09)', 'chat:[ab]'],
  ['closing bracket', 'chat:a]'],
  ['backslash', 'chat:a\\b'],
  ['NUL', 'chat:a\u0000'],
  ['newline', 'chat:a\nb'],
  ['DEL', 'chat:\u007f'],
  ['C1 control', 'chat:\u0085'],
  ['space', 'chat:a b'],
  ['no-break space', 'chat:a\u00a0b'],
  ['bidi override', 'chat:\u202eevil'],
  ['zero-width joiner', 'chat:a\u200db'],
  ['lone surrogate', 'chat:\ud800'],
  ['namespace with dot', 'c.hat:x'],
  ['namespace with star', '*:x'],
  ['namespace unicode', 'chät:x'],
  ['number', 42],
  ['object', { channel: 'chat:a' }],
  ['array', ['chat:a']],
  ['null', null],
];

test('valid channel names are accepted', () => {
  for (const name of VALID) assert.equal(isValidChannelName(name), true, name);
});

for (const [what, name] of INVALID) {
  test(`channel name is refused: ${what} (docs/security-cases.md AP-09)`, () => {
    assert.equal(isValidChannelName(name), false);
  });
}

test('channelNamespace returns the part before the first colon and refuses invalid names', () => {
  assert.equal(channelNamespace('doc:project:42'), 'doc');
  assert.throws(() => channelNamespace('chat:*'), RangeError);
});

test('isPrintableString bounds length and refuses control and format characters', () => {
  assert.equal(isPrintableString('alice', 5), true);
  assert.equal(isPrintableString('alice smith', 20), true);
  assert.equal(isPrintableString('alice', 4), false);
  assert.equal(isPrintableString('', 4), false);
  assert.equal(isPrintableString('a\u0000', 4), false);
  assert.equal(isPrintableString('a\u202e', 4), false);
  assert.equal(isPrintableString(5, 4), false);
});
