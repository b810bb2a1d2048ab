// Dashboard page (browser): live prices and weather from the `feed` namespace. This file is the entry point: it
// builds the views, subscribes, and routes publications, breaks in the stream and connection states to them.
// Filled at once on load (each channel hands over its latest publication on subscribe, then the chart's recent
// prices come from history) and again after a reconnect (the client recovers what it missed; after a server restart,
// the `gap` event refetches the history of the new stream).
import { ClientError } from '../../src/client/index.ts';
import { createClient } from './connection.ts';
import { CHART_POINTS, type Delivery, SymbolState } from './model.ts';
import { linkState } from './link-state.ts';
import { StatusView } from './status.ts';
import { cities, priceChannel, symbolsFrom, weatherChannel } from './symbols.ts';
import { PriceTable } from './table.ts';
import { WeatherStrip } from './weather.ts';

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const errorBox = byId<HTMLParagraphElement>('error');
function showError(err: unknown): void {
  errorBox.textContent =
    err instanceof ClientError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}

const states = symbolsFrom(location.search).map((symbol) => new SymbolState(symbol, priceChannel(symbol)));
const symbolOf = new Map(states.map((s) => [s.channel, s]));
const cityOf = new Map(cities().map((city) => [weatherChannel(city), city]));
/** Subscriptions whose `subscribed` event the page listens to (the client makes a new one after an unsubscribe). */
const watched = new WeakSet<object>();

const client = createClient();
const status = new StatusView(byId('status'), byId<HTMLTimeElement>('last-update'));
const weather = new WeatherStrip(byId('weather'), [...cityOf.values()]);
const table = new PriceTable(byId('rows'), states, (state, live) => {
  state.live = live;
  table.toggled(state.symbol);
  if (live) subscribe(state.channel);
  else client.unsubscribe(state.channel).catch(showError);
});

function deliver(channel: string, p: Delivery): void {
  const state = symbolOf.get(channel);
  if (state !== undefined) {
    // A paused row ignores what was already on its way when it was paused.
    if (state.live && state.apply(p)) {
      table.changed(state.symbol);
      status.updated(Date.now());
    }
    return;
  }
  const city = cityOf.get(channel);
  if (city !== undefined && weather.apply(city, p)) status.updated(Date.now());
}

/** The chart's recent prices (the subscribe brought only the latest); also after a break in the stream. */
function fillFromHistory(channel: string): void {
  if (!symbolOf.has(channel)) return;
  client
    .history(channel, { limit: CHART_POINTS })
    .then((h) => {
      for (const p of h.publications) if (!('deleted' in p)) deliver(channel, p);
      // Older prices only extend the chart (the row's values stay): redraw it anyway.
      table.changed(symbolOf.get(channel)?.symbol ?? '');
    })
    .catch(() => {
      // No history permission or a lost connection: the chart fills from live ticks instead.
    });
}

/**
 * The first answer to a symbol's subscribe: its publications (the channel's stored latest) were delivered just
 * before this event, live ones held meanwhile come just after it; so a row with a tick now was filled by the snapshot.
 */
function onSubscribed(channel: string): void {
  const state = symbolOf.get(channel);
  if (state === undefined || state.filled !== null) return;
  state.filled = state.last === null ? 'live' : 'snapshot';
  table.changed(state.symbol);
}

function subscribe(channel: string): void {
  const subscription = client.subscription(channel);
  if (!watched.has(subscription)) {
    watched.add(subscription);
    subscription.on('subscribed', () => onSubscribed(channel));
  }
  client
    .subscribe(channel)
    .then(() => fillFromHistory(channel))
    .catch(showError);
}

let everConnected = false;
const showState = (): void => status.show(linkState(client.state, everConnected, navigator.onLine));
client.on('statechange', (change) => {
  if (change.state === 'connected') {
    everConnected = true;
    errorBox.textContent = '';
  }
  showState();
});
addEventListener('online', showState);
addEventListener('offline', showState);
client.on('publication', (p) => deliver(p.channel, p));
client.on('gap', (gap) => fillFromHistory(gap.channel));
client.on('error', (e) => showError(new ClientError(e.code, e.message)));

showState();
client.connect().catch(() => {
  // The client keeps trying by itself; the indicator shows it.
});
for (const channel of cityOf.keys()) subscribe(channel);
for (const state of states) subscribe(state.channel);
