// The client SDK from the browser bundle (dist/browser/switchboard-client.js, served next to this file by serve.mjs):
// no bundler, no framework. ?server=ws://host:port/ws picks the server, ?channel= the channel.
import { Client, ClientError } from './switchboard-client.js';

const params = new URLSearchParams(location.search);
const channel = params.get('channel') ?? 'chat:general';
const state = document.querySelector('#state');
const log = document.querySelector('#log');
const form = document.querySelector('#send');
const input = document.querySelector('#text');

const client = new Client({
  url: params.get('server') ?? 'ws://127.0.0.1:8080/ws',
  transport: (url, protocols) => new WebSocket(url, protocols),
  // Anonymous here (the dev config allows it). With sign-in, fetch a token from your backend (docs/tokens.md):
  // getToken: async () => (await (await fetch('/token', { method: 'POST' })).json()).token,
});

client.on('statechange', ({ state: now, reason, retryInMs }) => {
  state.value = now === 'disconnected' ? `reconnecting in ${retryInMs} ms (${reason})` : now;
});

const room = client.subscription(channel);
room.on('publication', (p) => {
  const item = document.createElement('li');
  item.textContent = `${p.sender ?? 'server'}: ${typeof p.data?.text === 'string' ? p.data.text : JSON.stringify(p.data)}`;
  item.dataset.offset = String(p.offset);
  log.append(item);
});
room.on('gap', () =>
  log.append(Object.assign(document.createElement('li'), { textContent: '(messages may be missing)' })),
);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = input.value;
  input.value = '';
  try {
    await client.publish(channel, { text }); // queued while offline, sent once, acknowledged
  } catch (err) {
    state.value = err instanceof ClientError ? `not sent: ${err.code}` : String(err);
  }
});

await client.connect();
await room.subscribe();
document.body.dataset.ready = 'true';
