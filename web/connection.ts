// The chat page's connection: starting a session (token, outbox, client), and wiring the client's events (state,
// presence, typing, publications, breaks in the history, errors) to the rooms.
import { Client, ClientError, type GapEvent, IndexedDbOutboxStore, type StateChange } from '../src/client/index.ts';
import { typing } from './drafting.ts';
import { rolesOf } from './moderation.ts';
import { join, onPublication } from './rooms.ts';
import { changed, currentRoom, describe, fail, newRoom, notice, roomOf, session } from './session.ts';
import { fetchToken, rememberName } from './sign-in.ts';
import {
  PRIVATE,
  type Room,
  clearError,
  renderPresence,
  renderRoom,
  renderTyping,
  setStatus,
  showError,
  showSignedIn,
} from './view.ts';

/** Publications reloaded after a break. */
const HISTORY_AFTER_BREAK = 50;

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
      if (session.client !== c) return;
      for (const p of h.publications) {
        if ('deleted' in p) room.log.deleted({ epoch: p.epoch, offset: p.offset }, p.time);
        else onPublication({ ...p, type: 'publication' }, false);
      }
      changed(room);
    })
    .catch(fail);
}

function watch(c: Client): void {
  let wasLost = false;
  c.on('statechange', (change: StateChange) => {
    if (session.client !== c) return;
    setStatus(change.state, change);
    if (change.state !== 'connected') {
      // Who is typing is unknown while offline; the server ends our own typing with the connection.
      for (const room of session.rooms.values()) room.typing.clear();
      typing.reset();
      renderTyping(currentRoom());
    }
    if (change.state === 'disconnected' && !wasLost) {
      wasLost = true;
      for (const room of session.rooms.values()) notice(room, 'Connection lost, reconnecting…');
    }
    if (change.state === 'connected' && wasLost) {
      wasLost = false;
      for (const room of session.rooms.values()) notice(room, 'Reconnected');
    }
  });
  c.on('connected', (m) => {
    if (session.client === c) session.me = m.user;
  });
  c.on('gap', (gap) => {
    const room = roomOf(gap.channel);
    if (session.client === c && room !== undefined) onBreak(c, room, gap);
  });
  c.on('publication', (p) => {
    if (session.client === c) onPublication(p);
  });
  c.on('join', (j) => {
    const room = roomOf(j.channel);
    if (session.client !== c || room === undefined) return;
    room.present.add(j.user);
    if (j.user !== session.me) notice(room, `${j.user} joined`);
    if (room.name === session.current) renderPresence(room);
  });
  c.on('leave', (l) => {
    const room = roomOf(l.channel);
    if (session.client !== c || room === undefined) return;
    room.present.delete(l.user);
    room.typing.delete(l.user);
    notice(room, `${l.user} left`);
    if (room.name === session.current) renderRoom(room);
  });
  c.on('typing', (t) => {
    const room = roomOf(t.channel);
    if (session.client !== c || room === undefined || t.user === session.me) return;
    if (t.on) room.typing.add(t.user);
    else room.typing.delete(t.user);
    if (room.name === session.current) renderTyping(room);
  });
  c.on('error', (e) => {
    if (session.client === c) fail(new ClientError(e.code, e.message));
  });
  c.on('failed', ({ entry, error }) => {
    if (session.client === c) showError(`A message to ${entry.target} was not sent: ${describe(error)}`);
  });
  c.on('close', (e) => {
    if (session.client === c && c.state === 'closed')
      showError(`Connection closed (${e.code}${e.reason === '' ? '' : `: ${e.reason}`})`);
  });
}

export async function start(name: string): Promise<void> {
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
      session.moderator = rolesOf(fresh).some((r) => r === 'admin' || r === 'moderator');
      return fresh;
    },
    name: 'switchboard-chat/1',
    ...(outbox === undefined ? {} : { outbox: { store: outbox } }),
  });
  session.client = c;
  watch(c);
  const connected = await c.connect();
  if (session.client !== c) return;
  session.me = connected.user;
  rememberName(name);
  clearError();
  showSignedIn(session.me);
  const personal = newRoom(PRIVATE, `user:${session.me}`);
  session.rooms.set(PRIVATE, personal);
  try {
    await c.subscribe(personal.channel);
  } catch {
    session.rooms.delete(PRIVATE);
  }
  await join(new URLSearchParams(location.search).get('room') ?? 'general');
}
