// Chat page (browser): rooms, history on join, presence, typing, private messages, reconnecting and recovered states.
// User text is rendered with textContent only.
import { Client, ClientError, IndexedDbOutboxStore, type ClientState, type StateChange } from '../src/client/index.ts';
import type { PublicationMessage } from '../src/messages/index.ts';

interface ChatLine {
  readonly sender: string;
  readonly text: string;
  readonly time: number;
  readonly kind: 'message' | 'private' | 'system';
  readonly offset?: number;
}

interface Room {
  readonly name: string;
  readonly channel: string;
  readonly lines: ChatLine[];
  readonly present: Map<string, string>;
  readonly typing: Set<string>;
  unread: number;
}

const PRIVATE = '(private)';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`Missing #${id}`);
  return el as T;
}

const ui = {
  status: byId<HTMLSpanElement>('status'),
  me: byId<HTMLSpanElement>('me'),
  login: byId<HTMLElement>('login'),
  loginForm: byId<HTMLFormElement>('login-form'),
  loginName: byId<HTMLInputElement>('login-name'),
  chat: byId<HTMLElement>('chat'),
  rooms: byId<HTMLUListElement>('rooms'),
  joinForm: byId<HTMLFormElement>('join-form'),
  roomInput: byId<HTMLInputElement>('room-input'),
  leave: byId<HTMLButtonElement>('leave-button'),
  presence: byId<HTMLUListElement>('presence'),
  title: byId<HTMLHeadingElement>('room-title'),
  messages: byId<HTMLOListElement>('messages'),
  typing: byId<HTMLParagraphElement>('typing'),
  messageForm: byId<HTMLFormElement>('message-form'),
  messageInput: byId<HTMLInputElement>('message-input'),
  error: byId<HTMLParagraphElement>('error'),
};

const rooms = new Map<string, Room>();
let current: string | null = null;
let client: Client | null = null;
let me = '';

function textOf(data: unknown): string {
  if (typeof data === 'object' && data !== null && typeof (data as { text?: unknown }).text === 'string') return (data as { text: string }).text;
  return JSON.stringify(data);
}

function setStatus(state: ClientState | 'error', change?: StateChange): void {
  ui.status.dataset['state'] = state;
  ui.status.textContent =
    state === 'connected' ? 'connected'
      : state === 'connecting' ? (change?.reason === 'reconnect' ? 'reconnecting…' : 'connecting…')
        : state === 'disconnected' ? `reconnecting in ${Math.ceil((change?.retryInMs ?? 0) / 1000)} s…`
          : state === 'closed' ? 'disconnected' : state;
}

/** A system line in every joined room (connection lost / recovered). */
function systemLine(text: string): void {
  for (const room of rooms.values()) addLine(room, { sender: '', text, time: Date.now(), kind: 'system' });
}

function showError(err: unknown): void {
  ui.error.textContent = err instanceof ClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

function line(kind: ChatLine['kind'], sender: string, text: string, time: number): HTMLLIElement {
  const li = document.createElement('li');
  li.className = kind;
  const who = document.createElement('span');
  who.className = 'sender';
  who.textContent = sender;
  const body = document.createElement('span');
  body.className = 'text';
  // SECURITY-CASES AP-14: peer text only ever becomes a text node.
  body.textContent = text;
  const when = document.createElement('time');
  when.className = 'time';
  when.textContent = new Date(time).toLocaleTimeString();
  li.append(who, body, when);
  return li;
}

function renderRooms(): void {
  ui.rooms.replaceChildren(...[...rooms.values()].map((room) => {
    const li = document.createElement('li');
    li.textContent = room.name;
    li.dataset['room'] = room.name;
    if (room.name === current) li.className = 'active';
    if (room.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = `(${room.unread})`;
      li.append(badge);
    }
    li.addEventListener('click', () => select(room.name));
    return li;
  }));
}

function renderRoom(): void {
  const room = current === null ? undefined : rooms.get(current);
  ui.title.textContent = room === undefined ? '' : room.name === PRIVATE ? 'Private messages' : `# ${room.name}`;
  ui.messages.replaceChildren(...(room?.lines ?? []).map((l) => line(l.kind, l.sender, l.text, l.time)));
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.presence.replaceChildren(...[...(room?.present.values() ?? [])].sort().map((name) => {
    const li = document.createElement('li');
    li.textContent = name;
    return li;
  }));
  renderTyping();
}

function renderTyping(): void {
  const room = current === null ? undefined : rooms.get(current);
  const names = [...(room?.typing ?? [])];
  ui.typing.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

function select(name: string): void {
  current = name;
  const room = rooms.get(name);
  if (room !== undefined) room.unread = 0;
  renderRooms();
  renderRoom();
}

function roomOf(channel: string): Room | undefined {
  for (const room of rooms.values()) if (room.channel === channel) return room;
  return undefined;
}

function addLine(room: Room, entry: ChatLine): void {
  if (entry.offset !== undefined && room.lines.some((l) => l.offset === entry.offset)) return;
  room.lines.push(entry);
  if (room.lines.length > 500) room.lines.shift();
  if (room.name === current) {
    ui.messages.append(line(entry.kind, entry.sender, entry.text, entry.time));
    ui.messages.scrollTop = ui.messages.scrollHeight;
  } else {
    room.unread++;
    renderRooms();
  }
}

function onPublication(p: PublicationMessage): void {
  const room = roomOf(p.channel);
  if (room === undefined) return;
  const kind = room.name === PRIVATE ? 'private' : 'message';
  const text = textOf(p.data);
  addLine(room, { sender: p.sender ?? 'server', text, time: p.time, kind, offset: p.offset });
}

async function join(name: string): Promise<void> {
  if (client === null || rooms.has(name)) {
    select(name);
    return;
  }
  const room: Room = { name, channel: `chat:${name}`, lines: [], present: new Map(), typing: new Set(), unread: 0 };
  rooms.set(name, room);
  select(name);
  // Every resubscribe after a reconnect: refresh presence and say how many missed messages were recovered.
  client.subscription(room.channel, { presence: true }).on('subscribed', (m) => {
    room.present.clear();
    for (const user of m.presence ?? []) room.present.set(user.user, user.user);
    if (m.recovered && m.publications.length > 0) {
      addLine(room, { sender: '', text: `Recovered ${m.publications.length} missed message${m.publications.length === 1 ? '' : 's'}`, time: Date.now(), kind: 'system' });
    }
    if (current === name) renderRoom();
  });
  try {
    const subscribed = await client.subscribe(room.channel, { presence: true });
    for (const user of subscribed.presence ?? []) room.present.set(user.user, user.user);
    if (current === name) renderRoom();
  } catch (err) {
    rooms.delete(name);
    showError(err);
    select(rooms.keys().next().value ?? name);
  }
}

async function leave(): Promise<void> {
  if (client === null || current === null || current === PRIVATE) return;
  const room = rooms.get(current);
  if (room === undefined) return;
  await client.unsubscribe(room.channel);
  rooms.delete(room.name);
  current = rooms.keys().next().value ?? null;
  renderRooms();
  renderRoom();
}

async function fetchToken(name: string): Promise<string | undefined> {
  if (name === '') return undefined;
  const res = await fetch('/api/dev-token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: name }) });
  if (!res.ok) throw new Error(res.status === 404 ? 'This server does not hand out names (not in development mode): leave the name empty' : `Cannot get a token (${res.status})`);
  return ((await res.json()) as { token: string }).token;
}

async function start(name: string): Promise<void> {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  // A fresh token on every (re)connect and before expiry; messages typed while offline wait in IndexedDB.
  await fetchToken(name);
  let outbox: IndexedDbOutboxStore | undefined;
  try {
    outbox = new IndexedDbOutboxStore({ key: name === '' ? 'anonymous' : name });
  } catch {
    outbox = undefined;
  }
  const c = new Client({
    url, transport: (u, p) => new WebSocket(u, p), getToken: () => fetchToken(name), name: 'switchboard-chat/1',
    ...(outbox === undefined ? {} : { outbox: { store: outbox } }),
  });
  client = c;
  let wasLost = false;
  c.on('statechange', (change) => {
    setStatus(change.state, change);
    if (change.state === 'disconnected' && !wasLost) {
      wasLost = true;
      systemLine('Connection lost, reconnecting…');
    }
    if (change.state === 'connected' && wasLost) {
      wasLost = false;
      systemLine('Reconnected');
    }
  });
  c.on('gap', (gap) => {
    const room = roomOf(gap.channel);
    if (room === undefined) return;
    addLine(room, { sender: '', text: 'Some messages could not be recovered; reloading the latest history', time: Date.now(), kind: 'system' });
    c.history(gap.channel, { limit: 50 }).then((h) => {
      for (const p of h.publications) onPublication({ ...p, type: 'publication' });
    }).catch(showError);
  });
  c.on('publication', onPublication);
  c.on('join', (j) => {
    const room = roomOf(j.channel);
    if (room === undefined) return;
    room.present.set(j.user, j.user);
    if (j.user !== me) addLine(room, { sender: '', text: `${j.user} joined`, time: Date.now(), kind: 'system' });
    if (room.name === current) renderRoom();
  });
  c.on('leave', (l) => {
    const room = roomOf(l.channel);
    if (room === undefined) return;
    room.present.delete(l.user);
    room.typing.delete(l.user);
    addLine(room, { sender: '', text: `${l.user} left`, time: Date.now(), kind: 'system' });
    if (room.name === current) renderRoom();
  });
  c.on('typing', (t) => {
    const room = roomOf(t.channel);
    if (room === undefined) return;
    if (t.on) room.typing.add(t.user);
    else room.typing.delete(t.user);
    if (room.name === current) renderTyping();
  });
  c.on('error', (e) => showError(new ClientError(e.code, e.message)));
  c.on('close', (e) => {
    if (c.state === 'closed') showError(new Error(`Connection closed (${e.code}${e.reason === '' ? '' : `: ${e.reason}`})`));
  });
  const connected = await c.connect();
  me = connected.user;
  ui.me.textContent = `signed in as ${me}`;
  ui.login.hidden = true;
  ui.chat.hidden = false;
  const personal: Room = { name: PRIVATE, channel: `user:${me}`, lines: [], present: new Map(), typing: new Set(), unread: 0 };
  rooms.set(PRIVATE, personal);
  try {
    await c.subscribe(personal.channel);
  } catch {
    rooms.delete(PRIVATE);
  }
  await join(new URLSearchParams(location.search).get('room') ?? 'general');
}

async function sendMessage(text: string): Promise<void> {
  if (client === null || current === null) return;
  const pm = /^\/msg\s+(\S+)\s+([\s\S]+)$/.exec(text);
  if (pm !== null) {
    const [, user, body] = pm as unknown as [string, string, string];
    await client.send(user, { text: body });
    const room = rooms.get(PRIVATE);
    if (room !== undefined) addLine(room, { sender: `${me} → ${user}`, text: body, time: Date.now(), kind: 'private' });
    return;
  }
  const room = rooms.get(current);
  if (room === undefined || room.name === PRIVATE) {
    showError(new Error('Use /msg user text to send a private message'));
    return;
  }
  client.typing(room.channel, false);
  await client.publish(room.channel, { text });
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  setStatus('connecting');
  start(ui.loginName.value.trim()).catch((err: unknown) => {
    setStatus('error');
    showError(err);
  });
});

ui.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.roomInput.value.trim();
  ui.roomInput.value = '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    showError(new Error('A room name is 1-64 of A-Z a-z 0-9 _ -'));
    return;
  }
  join(name).catch(showError);
});

ui.leave.addEventListener('click', () => {
  leave().catch(showError);
});

let lastTyping = 0;
ui.messageInput.addEventListener('input', () => {
  const room = current === null ? undefined : rooms.get(current);
  if (client === null || room === undefined || room.name === PRIVATE) return;
  const now = Date.now();
  if (now - lastTyping < 1000) return;
  lastTyping = now;
  client.typing(room.channel, ui.messageInput.value !== '');
});

ui.messageForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim();
  if (text === '') return;
  ui.messageInput.value = '';
  ui.error.textContent = '';
  lastTyping = 0;
  sendMessage(text).catch(showError);
});

setStatus('idle');
