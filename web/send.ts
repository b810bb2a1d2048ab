// Sending from the chat page: own messages (pending until acknowledged), private messages, and the slash commands
// answered by the server's RPCs.
import { ClientError } from '../src/client/index.ts';
import { COMMAND_HELP, describeRoll, describeWho, parseCommand } from './commands.ts';
import { changed, currentRoom, describe, notice, session } from './session.ts';
import { PRIVATE, type Room, showError } from './view.ts';

/** How long a command waits for the server's answer: long enough for a slow link, short enough to say so. */
const RPC_TIMEOUT_MS = 5000;

function newMessageId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  return [...c.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sends an own message: shown at once as pending, then confirmed by the server's ack (or marked as not sent). */
async function deliver(
  room: Room | undefined,
  send: (id: string) => Promise<{ epoch: string; offset: number } | undefined>,
  line: { kind: 'message' | 'private'; sender: string; text: string },
): Promise<void> {
  const id = newMessageId();
  room?.log.pending({ ...line, time: Date.now(), id });
  if (room !== undefined) changed(room);
  try {
    const position = await send(id);
    room?.log.acknowledged(id, position);
  } catch (err) {
    room?.log.failed(id, err instanceof ClientError ? err.code : 'error');
    throw err;
  } finally {
    if (room !== undefined) changed(room);
  }
}

/** Why a command's RPC failed, in words: not connected, no answer in time, or the server's refusal. */
function rpcFailure(err: unknown): string {
  if (!(err instanceof ClientError)) return describe(err);
  if (err.code === 'timeout') return `no answer within ${RPC_TIMEOUT_MS / 1000} s (timeout)`;
  // The client refuses an RPC at once while offline (`closed`): a call is never queued, its answer is wanted now.
  if (err.code === 'closed' || session.client?.state !== 'connected')
    return 'not connected: try again once the badge says connected';
  return `refused by the server (${err.code}): ${err.message}`;
}

/** Runs a command's RPC and shows its answer, or why there is none, as a line of the room (seen only here). */
async function ask(
  room: Room,
  what: string,
  call: () => Promise<unknown>,
  line: (answer: unknown) => string | null,
): Promise<void> {
  try {
    const answer = await call();
    notice(room, line(answer) ?? `${what}: the server's answer has an unexpected shape`);
  } catch (err) {
    const why = `${what} failed: ${rpcFailure(err)}`;
    notice(room, why);
    showError(why);
  }
}

export async function sendMessage(text: string): Promise<void> {
  const c = session.client;
  const room = currentRoom();
  if (c === null || room === undefined) return;
  const command = parseCommand(text);
  switch (command.kind) {
    case 'private': {
      const { user, text: body } = command;
      // The own copy goes to the private room (the message lands in the recipient's channel, not ours).
      await deliver(
        session.rooms.get(PRIVATE),
        async (id) => {
          await c.send(user, { text: body }, { id });
          return undefined;
        },
        { kind: 'private', sender: `${session.me} → ${user}`, text: body },
      );
      return;
    }
    case 'roll': {
      const { count, sides, spec } = command;
      await ask(
        room,
        `/roll ${spec}`,
        () => c.rpc('roll', { count, sides }, { timeoutMs: RPC_TIMEOUT_MS }),
        (answer) => describeRoll(spec, answer),
      );
      return;
    }
    case 'who': {
      const target = command.room ?? (room.name === PRIVATE ? null : room.name);
      if (target === null) {
        showError('Type /who room to see who is in a room');
        return;
      }
      await ask(
        room,
        `/who ${target}`,
        () => c.rpc('who', { channel: `chat:${target}` }, { timeoutMs: RPC_TIMEOUT_MS }),
        (answer) => describeWho(target, answer),
      );
      return;
    }
    case 'help':
      for (const line of ['Commands (answered only to you):', ...COMMAND_HELP]) room.log.notice(line);
      changed(room);
      return;
    case 'invalid':
      showError(command.error);
      return;
    case 'message':
      if (room.name === PRIVATE) {
        showError('Use /msg user text to send a private message');
        return;
      }
      await deliver(room, (id) => c.publish(room.channel, { text }, { id }), {
        kind: 'message',
        sender: session.me,
        text,
      });
      return;
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}
