// Rooms of the chat page: the room list, selecting, joining and leaving a room, and adding publications to a room.
import type { PublicationMessage } from '../src/messages/index.ts';
import { stopTyping, updateTyping } from './drafting.ts';
import { onDeleted } from './moderation.ts';
import { currentRoom, fail, newRoom, notice, roomOf, session } from './session.ts';
import { PRIVATE, renderMessages, renderPresence, renderRoom, renderRooms } from './view.ts';

function textOf(data: unknown): string {
  if (typeof data === 'object' && data !== null && typeof (data as { text?: unknown }).text === 'string')
    return (data as { text: string }).text;
  return JSON.stringify(data);
}

export function showRooms(): void {
  renderRooms(session.rooms.values(), session.current, select);
}

export function select(name: string): void {
  session.current = name;
  const room = session.rooms.get(name);
  if (room !== undefined) room.unread = 0;
  updateTyping();
  showRooms();
  renderRoom(room);
}

/** Adds a publication to its room; `render: false` while a batch (history after a break) is added, drawn once after. */
export function onPublication(p: PublicationMessage, render = true): void {
  const room = roomOf(p.channel);
  if (room === undefined) return;
  const mine = p.sender !== undefined && p.sender === session.me;
  const added = room.log.publication({
    kind: room.name === PRIVATE ? 'private' : 'message',
    sender: p.sender ?? 'server',
    text: textOf(p.data),
    time: p.time,
    position: { epoch: p.epoch, offset: p.offset },
    ...(mine ? { mine, ...(p.id === undefined ? {} : { id: p.id }) } : {}),
  });
  if (!added) return;
  if (room.name === session.current) {
    if (render) renderMessages(room);
  } else if (!mine) {
    room.unread++;
    showRooms();
  }
}

export async function join(name: string): Promise<void> {
  const c = session.client;
  const rooms = session.rooms;
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
    if (session.client === c) onDeleted(e);
  });
  subscription.on('subscribed', (m) => {
    room.present.clear();
    for (const user of m.presence ?? []) room.present.add(user.user);
    // Own messages sent while offline come back this way too: they were not missed.
    const missed = m.publications.filter((p) => !('deleted' in p) && p.sender !== session.me).length;
    if (m.recovered && missed > 0) notice(room, `Recovered ${missed} missed message${missed === 1 ? '' : 's'}`);
    if (session.current === name) renderPresence(room);
  });
  try {
    await c.subscribe(room.channel, { presence: true });
  } catch (err) {
    rooms.delete(name);
    fail(err);
    select(rooms.keys().next().value ?? name);
  }
}

export async function leave(): Promise<void> {
  const room = currentRoom();
  const client = session.client;
  if (client === null || room === undefined || room.name === PRIVATE) return;
  stopTyping();
  await client.unsubscribe(room.channel);
  session.rooms.delete(room.name);
  select(session.rooms.keys().next().value ?? PRIVATE);
}
