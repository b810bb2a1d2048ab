// Chat page (browser): rooms, history on join, presence, typing, private messages, reconnecting and recovered states,
// messages pending until acknowledged, a visible break where a server restart lost the history.
import {
  Client,
  ClientError,
  IndexedDbOutboxStore,
  type DeletedEvent,
  type GapEvent,
  type StateChange,
} from '../src/client/index.ts';
import type { PublicationMessage } from '../src/messages/index.ts';
import { ChatLog } from './chat-log.ts';
import { COMMAND_HELP, describeRoll, describeWho, parseCommand } from './commands.ts';
import { SignInError, fetchToken, forgetName, rememberedName, rememberName } from './sign-in.ts';
import { TypingSignal } from './typing.ts';
import {
  PRIVATE,
  clearError,
  deletion,
  renderMessages,
  renderPresence,
  renderRoom,
  renderRooms,
  renderTyping,
  setStatus,
  showError,
  showSignedIn,
  ui,
  type Room,
} from './view.ts';

/** Publications reloaded after a break. */
const HISTORY_AFTER_BREAK = 50;
/** How long a command waits for the server's answer: long enough for a slow link, short enough to say so. */
const RPC_TIMEOUT_MS = 5000;

const rooms = new Map<string, Room>();
let current: string | null = null;
let client: Client | null = null;
let me = '';
/** Whether the token grants deleting anyone's messages (a hint for the buttons: the server decides). */
let moderator = false;

/** The roles claim of a JWT, read without verifying it (only to choose which buttons to show). */
function rolesOf(token: string | undefined): string[] {
  try {
    const payload = token?.split('.')[1];
    if (payload === undefined) return [];
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { roles?: unknown };
    return Array.isArray(json.roles) ? json.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

deletion.allowed = (line) =>
  line.kind === 'message' && line.position !== undefined && (line.mine === true || moderator);
deletion.request = (line) => {
  const room = currentRoom();
  if (client === null || room === undefined || line.position === undefined) return;
  client
    .deletePublication(room.channel, line.position.offset, { epoch: line.position.epoch })
    .then(() => clearError())
    .catch(fail);
};

/** A publication was deleted: everyone sees "message deleted" in its place. */
function onDeleted(event: DeletedEvent): void {
  const room = roomOf(event.channel);
  if (room === undefined) return;
  room.log.deleted({ epoch: event.epoch, offset: event.offset });
  changed(room);
}

function describe(err: unknown): string {
  return err instanceof ClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

function fail(err: unknown): void {
  showError(describe(err));
}

function textOf(data: unknown): string {
  if (typeof data === 'object' && data !== null && typeof (data as { text?: unknown }).text === 'string')
    return (data as { text: string }).text;
  return JSON.stringify(data);
}

function newMessageId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  return [...c.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function currentRoom(): Room | undefined {
  return current === null ? undefined : rooms.get(current);
}

function roomOf(channel: string): Room | undefined {
  for (const room of rooms.values()) if (room.channel === channel) return room;
  return undefined;
}

function newRoom(name: string, channel: string): Room {
  return { name, channel, log: new ChatLog(), present: new Set(), typing: new Set(), unread: 0 };
}

function showRooms(): void {
  renderRooms(rooms.values(), current, select);
}

function select(name: string): void {
  current = name;
  const room = rooms.get(name);
  if (room !== undefined) room.unread = 0;
  updateTyping();
  showRooms();
  renderRoom(room);
}

/** Re-renders a room's messages when it is shown. */
function changed(room: Room): void {
  if (room.name === current) renderMessages(room);
}

/** A notice (connection lost, someone joined): never counted as unread. */
function notice(room: Room, text: string): void {
  room.log.notice(text);
  changed(room);
}

/** Adds a publication to its room; `render: false` while a batch (history after a break) is added, drawn once after. */
function onPublication(p: PublicationMessage, render = true): void {
  const room = roomOf(p.channel);
  if (room === undefined) return;
  const mine = p.sender !== undefined && p.sender === me;
  const added = room.log.publication({
    kind: room.name === PRIVATE ? 'private' : 'message',
    sender: p.sender ?? 'server',
    text: textOf(p.data),
    time: p.time,
    position: { epoch: p.epoch, offset: p.offset },
    ...(mine ? { mine, ...(p.id === undefined ? {} : { id: p.id }) } : {}),
  });
  if (!added) return;
  if (room.name === current) {
    if (render) renderMessages(room);
  } else if (!mine) {
    room.unread++;
    showRooms();
  }
}

/** The server could not prove the stream complete (a restart, history too short): mark it and reload the latest. */
function onBreak(c: Client, room: Room, gap: GapEvent): void {
  room.log.cut(
    'Messages may be missing here: the server could not recover them (it restarted, or its history ran out). The latest history follows.',
    gap.from,
    gap.to,
  );
  changed(room);
  c.history(room.channel, { limit: HISTORY_AFTER_BREAK })
    .then((h) => {
      if (client !== c) return;
      for (const p of h.publications) {
        if ('deleted' in p) room.log.deleted({ epoch: p.epoch, offset: p.offset }, p.time);
        else onPublication({ ...p, type: 'publication' }, false);
      }
      changed(room);
    })
    .catch(fail);
}

async function join(name: string): Promise<void> {
  const c = client;
  if (c === null || rooms.has(name)) {
    select(name);
    return;
  }
  const room = newRoom(name, `chat:${name}`);
  rooms.set(name, room);
  select(name);
  // Every resubscribe after a reconnect: refresh presence and say how many missed messages were recovered.
  const subscription = c.subscription(room.channel, { presence: true });
  subscription.on('deleted', (e) => {
    if (client === c) onDeleted(e);
  });
  subscription.on('subscribed', (m) => {
    room.present.clear();
    for (const user of m.presence ?? []) room.present.add(user.user);
    // Own messages sent while offline come back this way too: they were not missed.
    const missed = m.publications.filter((p) => !('deleted' in p) && p.sender !== me).length;
    if (m.recovered && missed > 0) notice(room, `Recovered ${missed} missed message${missed === 1 ? '' : 's'}`);
    if (current === name) renderPresence(room);
  });
  try {
    await c.subscribe(room.channel, { presence: true });
  } catch (err) {
    rooms.delete(name);
    fail(err);
    select(rooms.keys().next().value ?? name);
  }
}

async function leave(): Promise<void> {
  const room = currentRoom();
  if (client === null || room === undefined || room.name === PRIVATE) return;
  stopTyping();
  await client.unsubscribe(room.channel);
  rooms.delete(room.name);
  select(rooms.keys().next().value ?? PRIVATE);
}

function watch(c: Client): void {
  let wasLost = false;
  c.on('statechange', (change: StateChange) => {
    if (client !== c) return;
    setStatus(change.state, change);
    if (change.state !== 'connected') {
      // Who is typing is unknown while offline; the server ends our own typing with the connection.
      for (const room of rooms.values()) room.typing.clear();
      typing.reset();
      renderTyping(currentRoom());
    }
    if (change.state === 'disconnected' && !wasLost) {
      wasLost = true;
      for (const room of rooms.values()) notice(room, 'Connection lost, reconnecting…');
    }
    if (change.state === 'connected' && wasLost) {
      wasLost = false;
      for (const room of rooms.values()) notice(room, 'Reconnected');
    }
  });
  c.on('connected', (m) => {
    if (client === c) me = m.user;
  });
  c.on('gap', (gap) => {
    const room = roomOf(gap.channel);
    if (client === c && room !== undefined) onBreak(c, room, gap);
  });
  c.on('publication', (p) => {
    if (client === c) onPublication(p);
  });
  c.on('join', (j) => {
    const room = roomOf(j.channel);
    if (client !== c || room === undefined) return;
    room.present.add(j.user);
    if (j.user !== me) notice(room, `${j.user} joined`);
    if (room.name === current) renderPresence(room);
  });
  c.on('leave', (l) => {
    const room = roomOf(l.channel);
    if (client !== c || room === undefined) return;
    room.present.delete(l.user);
    room.typing.delete(l.user);
    notice(room, `${l.user} left`);
    if (room.name === current) renderRoom(room);
  });
  c.on('typing', (t) => {
    const room = roomOf(t.channel);
    if (client !== c || room === undefined || t.user === me) return;
    if (t.on) room.typing.add(t.user);
    else room.typing.delete(t.user);
    if (room.name === current) renderTyping(room);
  });
  c.on('error', (e) => {
    if (client === c) fail(new ClientError(e.code, e.message));
  });
  c.on('failed', ({ entry, error }) => {
    if (client === c) showError(`A message to ${entry.target} was not sent: ${describe(error)}`);
  });
  c.on('close', (e) => {
    if (client === c && c.state === 'closed')
      showError(`Connection closed (${e.code}${e.reason === '' ? '' : `: ${e.reason}`})`);
  });
}

async function start(name: string): Promise<void> {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  // Checks the name first, so the server's explanation of a refused name is shown before any connection.
  let first: string | undefined | null = await fetchToken(name);
  let outbox: IndexedDbOutboxStore | undefined;
  try {
    outbox = new IndexedDbOutboxStore({ key: name === '' ? 'anonymous' : name });
  } catch {
    outbox = undefined;
  }
  // A fresh token on every (re)connect and before expiry; messages typed while offline wait in IndexedDB.
  const c = new Client({
    url,
    transport: (u, p) => new WebSocket(u, p),
    // The first connection uses the token that checked the name; every later one asks again.
    getToken: async () => {
      const token = first;
      first = null;
      const fresh = token === null ? await fetchToken(name) : token;
      moderator = rolesOf(fresh).some((r) => r === 'admin' || r === 'moderator');
      return fresh;
    },
    name: 'switchboard-chat/1',
    ...(outbox === undefined ? {} : { outbox: { store: outbox } }),
  });
  client = c;
  watch(c);
  const connected = await c.connect();
  if (client !== c) return;
  me = connected.user;
  rememberName(name);
  clearError();
  showSignedIn(me);
  const personal = newRoom(PRIVATE, `user:${me}`);
  rooms.set(PRIVATE, personal);
  try {
    await c.subscribe(personal.channel);
  } catch {
    rooms.delete(PRIVATE);
  }
  await join(new URLSearchParams(location.search).get('room') ?? 'general');
}

function signIn(name: string): void {
  setStatus('connecting');
  clearError();
  ui.loginButton.disabled = true;
  start(name)
    .catch((err: unknown) => {
      client?.close();
      client = null;
      // A refused name is not signed in again on the next reload; an unreachable server is.
      if (err instanceof SignInError && err.refused) forgetName();
      setStatus('error');
      fail(err);
    })
    .finally(() => {
      ui.loginButton.disabled = false;
    });
}

function signOut(): void {
  const c = client;
  client = null;
  forgetName();
  c?.close();
  rooms.clear();
  current = null;
  me = '';
  typing.reset();
  ui.messageInput.value = '';
  showSignedIn(null);
  showRooms();
  renderRoom(undefined);
  clearError();
  setStatus('signedout');
  ui.loginName.focus();
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
  if (err.code === 'closed' || client?.state !== 'connected')
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

async function sendMessage(text: string): Promise<void> {
  const c = client;
  const room = currentRoom();
  if (c === null || room === undefined) return;
  const command = parseCommand(text);
  switch (command.kind) {
    case 'private': {
      const { user, text: body } = command;
      // The own copy goes to the private room (the message lands in the recipient's channel, not ours).
      await deliver(
        rooms.get(PRIVATE),
        async (id) => {
          await c.send(user, { text: body }, { id });
          return undefined;
        },
        { kind: 'private', sender: `${me} → ${user}`, text: body },
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
      await deliver(room, (id) => c.publish(room.channel, { text }, { id }), { kind: 'message', sender: me, text });
      return;
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

const typing = new TypingSignal();

function typingSink(): ((channel: string, on: boolean) => void) | null {
  const c = client;
  return c === null ? null : (channel, on) => c.typing(channel, on);
}

/** Tells the shown room whether this user is drafting a message to it. */
function updateTyping(): void {
  const room = currentRoom();
  typing.update(typingSink(), room === undefined || room.name === PRIVATE ? null : room.channel, ui.messageInput.value);
}

function stopTyping(): void {
  typing.stop(typingSink());
}

// ---------------------------------------------------------------------------------------------- events

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  signIn(ui.loginName.value.trim());
});

ui.signOut.addEventListener('click', signOut);

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.roomInput.value.trim();
  ui.roomInput.value = '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    showError('A room name is 1-64 of A-Z a-z 0-9 _ -');
    return;
  }
  join(name).catch(fail);
});

ui.leave.addEventListener('click', () => {
  leave().catch(fail);
});

ui.messageInput.addEventListener('input', updateTyping);

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim();
  if (text === '') return;
  ui.messageInput.value = '';
  clearError();
  stopTyping();
  sendMessage(text).catch(fail);
});

setStatus('signedout');
const remembered = rememberedName();
if (remembered !== null) {
  // A reload: sign in again with the name this tab chose.
  ui.loginName.value = remembered;
  signIn(remembered);
}
