// Chat page (browser): the DOM: the status badge, the room list, the conversation, presence and typing.
// User text is rendered with textContent only.
import type { ClientState, StateChange, TransportKind } from '../src/client/index.ts';
import type { ChatLine, ChatLog } from './chat-log.ts';

/** The room of private messages (the user's personal channel). */
export const PRIVATE = '(private)';

export interface Room {
  readonly name: string;
  readonly channel: string;
  readonly log: ChatLog;
  readonly present: Set<string>;
  readonly typing: Set<string>;
  /** Messages from others that arrived while another room was shown. */
  unread: number;
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`Missing #${id}`);
  return el as T;
}

export const ui = {
  status: byId<HTMLSpanElement>('status'),
  transport: byId<HTMLSpanElement>('transport'),
  me: byId<HTMLSpanElement>('me'),
  signOut: byId<HTMLButtonElement>('signout-button'),
  login: byId<HTMLElement>('login'),
  loginForm: byId<HTMLFormElement>('login-form'),
  loginName: byId<HTMLInputElement>('login-name'),
  loginButton: byId<HTMLButtonElement>('login-button'),
  chat: byId<HTMLElement>('chat'),
  rooms: byId<HTMLUListElement>('rooms'),
  joinForm: byId<HTMLFormElement>('join-form'),
  roomInput: byId<HTMLInputElement>('room-input'),
  leave: byId<HTMLButtonElement>('leave-button'),
  presence: byId<HTMLUListElement>('presence'),
  presenceNote: byId<HTMLParagraphElement>('presence-note'),
  title: byId<HTMLHeadingElement>('room-title'),
  messages: byId<HTMLOListElement>('messages'),
  typing: byId<HTMLParagraphElement>('typing'),
  messageForm: byId<HTMLFormElement>('message-form'),
  messageInput: byId<HTMLInputElement>('message-input'),
  error: byId<HTMLParagraphElement>('error'),
};

/** The badge's states: the client's, plus `signedout` (no session yet) and `error` (signing in failed). */
export type BadgeState = ClientState | 'signedout' | 'error';

/** Counts the badge's "reconnecting in N s" down while the client waits for its next attempt. */
let countdown: ReturnType<typeof setInterval> | null = null;

function showRetry(at: number): void {
  ui.status.textContent = `reconnecting in ${Math.max(0, Math.ceil((at - Date.now()) / 1000))} s…`;
}

/** How the transports are named next to the badge. */
const TRANSPORT_LABELS: Readonly<Record<TransportKind, { readonly label: string; readonly title: string }>> = {
  websocket: { label: 'WebSocket', title: 'Connected over WebSocket' },
  sse: { label: 'SSE', title: 'WebSocket is blocked on this network: messages come as an event stream (SSE)' },
  polling: { label: 'long-polling', title: 'WebSocket and event streams are blocked on this network: long-polling' },
};

/** Shows the transport in use (or being tried) next to the badge; hidden without a client. */
function setTransport(state: BadgeState, transport: TransportKind | undefined): void {
  const shown = transport !== undefined && (state === 'connected' || state === 'connecting');
  ui.transport.hidden = !shown;
  if (!shown) return;
  const { label, title } = TRANSPORT_LABELS[transport];
  ui.transport.dataset['transport'] = transport;
  ui.transport.textContent = state === 'connected' ? `via ${label}` : `trying ${label}`;
  ui.transport.title = title;
}

export function setStatus(state: BadgeState, change?: StateChange): void {
  ui.status.dataset['state'] = state;
  setTransport(state, change?.transport);
  if (countdown !== null) clearInterval(countdown);
  countdown = null;
  if (state === 'disconnected') {
    const at = Date.now() + (change?.retryInMs ?? 0);
    showRetry(at);
    countdown = setInterval(() => showRetry(at), 1000);
  } else {
    ui.status.textContent =
      state === 'connected'
        ? 'connected'
        : state === 'connecting'
          ? change?.reason === 'reconnect'
            ? 'reconnecting…'
            : 'connecting…'
          : state === 'closed'
            ? 'disconnected'
            : state === 'error'
              ? 'not connected'
              : 'not signed in';
  }
  // Presence is only known while connected: joins and leaves are missed while the connection is down.
  const known = state === 'connected';
  ui.presence.classList.toggle('unknown', !known);
  ui.presenceNote.hidden = known;
}

export function showError(text: string): void {
  ui.error.textContent = text;
}

export function clearError(): void {
  ui.error.textContent = '';
}

/** A name that may be long (anonymous ids): ellipsised by CSS, whole in the tooltip. */
function nameSpan(className: string, name: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = name;
  span.title = name;
  return span;
}

/** Which lines offer a delete button, and what it does (set by the app, which knows the user's roles). */
export const deletion: { allowed(line: ChatLine): boolean; request(line: ChatLine): void } = {
  allowed: () => false,
  request: () => {},
};

function lineItem(l: ChatLine): HTMLLIElement {
  const li = document.createElement('li');
  li.className = l.kind;
  if (l.mine === true) li.classList.add('mine');
  if (l.deleted === true) li.classList.add('deleted');
  if (l.status !== undefined) li.dataset['status'] = l.status;
  if (l.kind === 'break') {
    li.setAttribute('role', 'separator');
    li.textContent = l.text;
    return li;
  }
  const body = document.createElement('span');
  body.className = 'text';
  // docs/security-cases.md AP-14: peer text only ever becomes a text node.
  body.textContent = l.text;
  const when = document.createElement('time');
  when.className = 'time';
  when.textContent = new Date(l.time).toLocaleTimeString();
  li.append(nameSpan('sender', l.sender), body, when);
  if (l.deleted !== true && deletion.allowed(l)) {
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'delete';
    remove.textContent = 'delete';
    remove.title = 'Delete this message for everyone';
    remove.addEventListener('click', () => deletion.request(l));
    li.append(remove);
  }
  if (l.status !== undefined) {
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.textContent = l.status === 'pending' ? 'sending…' : `not sent${l.note === undefined ? '' : `: ${l.note}`}`;
    mark.title =
      l.status === 'pending' ? 'Waiting for the server to confirm this message' : 'The server refused this message';
    li.append(mark);
  }
  return li;
}

export function renderRooms(rooms: Iterable<Room>, current: string | null, select: (name: string) => void): void {
  ui.rooms.replaceChildren(
    ...[...rooms].map((room) => {
      const li = document.createElement('li');
      li.dataset['room'] = room.name;
      li.title = room.name;
      li.append(nameSpan('name', room.name));
      if (room.name === current) li.className = 'active';
      if (room.unread > 0) {
        const badge = document.createElement('span');
        badge.className = 'unread';
        badge.textContent = `(${room.unread})`;
        li.append(badge);
      }
      li.addEventListener('click', () => select(room.name));
      return li;
    }),
  );
}

export function renderMessages(room: Room | undefined): void {
  ui.messages.replaceChildren(...(room?.log.lines ?? []).map(lineItem));
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

export function renderPresence(room: Room | undefined): void {
  ui.presence.replaceChildren(
    ...[...(room?.present ?? [])].sort().map((name) => {
      const li = document.createElement('li');
      li.append(nameSpan('name', name));
      return li;
    }),
  );
}

export function renderTyping(room: Room | undefined): void {
  const names = [...(room?.typing ?? [])];
  ui.typing.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

export function renderRoom(room: Room | undefined): void {
  ui.title.textContent = room === undefined ? '' : room.name === PRIVATE ? 'Private messages' : `# ${room.name}`;
  ui.title.title = ui.title.textContent;
  ui.leave.disabled = room === undefined || room.name === PRIVATE;
  renderMessages(room);
  renderPresence(room);
  renderTyping(room);
}

export function showSignedIn(user: string | null): void {
  ui.me.textContent = user === null ? '' : `signed in as ${user === '' ? 'a guest' : user}`;
  ui.me.title = user ?? '';
  ui.signOut.hidden = user === null;
  ui.login.hidden = user !== null;
  ui.chat.hidden = user === null;
}
