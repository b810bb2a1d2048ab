// The chat page's slash commands (web/commands.ts, DOM-free, so it runs here without a browser): what each typed
// line asks for, the refusals that need no server, and the lines the answers of `roll` and `who` become.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMAND_HELP, describeRoll, describeWho, parseCommand } from '../../web/commands.ts';

test('text without a leading slash is a message, whatever it holds', () => {
  fc.assert(
    fc.property(
      fc.string().filter((s) => !s.startsWith('/')),
      (text) => {
        assert.deepEqual(parseCommand(text), { kind: 'message', text });
      },
    ),
  );
});

test('no typed line makes the parser throw; a slash line is a command or says what to type', () => {
  fc.assert(
    fc.property(fc.string(), (tail) => {
      const command = parseCommand(`/${tail}`);
      assert.notEqual(command.kind, 'message');
      if (command.kind === 'invalid') assert.ok(command.error.length > 0 && command.error.length < 200);
    }),
  );
});

test('/roll NdM and dM give count and sides; a bare /roll is one six-sided die', () => {
  assert.deepEqual(parseCommand('/roll 2d6'), { kind: 'roll', count: 2, sides: 6, spec: '2d6' });
  assert.deepEqual(parseCommand('/roll d20'), { kind: 'roll', count: 1, sides: 20, spec: '1d20' });
  assert.deepEqual(parseCommand('/ROLL 3D8'), { kind: 'roll', count: 3, sides: 8, spec: '3d8' });
  assert.deepEqual(parseCommand('/roll'), { kind: 'roll', count: 1, sides: 6, spec: '1d6' });
});

test('/roll leaves the ranges to the server (0d0 is sent and refused there), but not the syntax', () => {
  assert.deepEqual(parseCommand('/roll 0d0'), { kind: 'roll', count: 0, sides: 0, spec: '0d0' });
  for (const bad of ['/roll two', '/roll 2d', '/roll 2x6', '/roll -1d6', '/roll 1d6 extra', '/roll 1234567890d6']) {
    const command = parseCommand(bad);
    assert.equal(command.kind, 'invalid', bad);
    assert.match((command as { error: string }).error, /\/roll takes NdM/);
  }
});

test('/who asks about the shown room, or a named one; a bad room name is refused here', () => {
  assert.deepEqual(parseCommand('/who'), { kind: 'who', room: null });
  assert.deepEqual(parseCommand('/who dev-talk'), { kind: 'who', room: 'dev-talk' });
  assert.deepEqual(parseCommand('/who no spaces'), {
    kind: 'invalid',
    error: 'A room name is 1-64 of A-Z a-z 0-9 _ -',
  });
});

test('/msg keeps working; /help lists every command; anything else points to /help', () => {
  assert.deepEqual(parseCommand('/msg bob hi there'), { kind: 'private', user: 'bob', text: 'hi there' });
  assert.equal(parseCommand('/msg bob').kind, 'invalid');
  assert.deepEqual(parseCommand('/help'), { kind: 'help' });
  for (const name of ['/msg', '/roll', '/who', '/help'])
    assert.ok(
      COMMAND_HELP.some((l) => l.startsWith(name)),
      name,
    );
  assert.deepEqual(parseCommand('/dance now'), {
    kind: 'invalid',
    error: 'Unknown command /dance: type /help for the list',
  });
});

test("roll's answer becomes one line with each die and the total; a wrong shape is null", () => {
  assert.equal(describeRoll('2d6', { sides: 6, count: 2, rolls: [3, 5], total: 8 }), 'You rolled 2d6: 3 + 5 = 8');
  assert.equal(describeRoll('1d20', { sides: 20, count: 1, rolls: [17], total: 17 }), 'You rolled 1d20: 17');
  assert.equal(describeRoll('1d6', null), null);
  assert.equal(describeRoll('1d6', { rolls: 'x', total: 1 }), null);
});

test("who's answer names the users, counts tabs, says how many were left out, and says when nobody is there", () => {
  assert.equal(
    describeWho('general', {
      channel: 'chat:general',
      users: [
        { user: 'alice', connections: 1 },
        { user: 'bob', connections: 2 },
      ],
      total: 2,
    }),
    'In #general (2): alice, bob (2 tabs)',
  );
  assert.equal(
    describeWho('big', { users: [{ user: 'a', connections: 1 }], total: 101 }),
    'In #big (101): a and 100 more',
  );
  assert.equal(describeWho('empty', { users: [], total: 0 }), 'Nobody is in #empty');
  assert.equal(describeWho('x', 'nope'), null);
});
