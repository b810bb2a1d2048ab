// Dashboard page: which symbols and cities it shows: the demo feeds' own lists (src/ingest/demo-data.ts, plain data
// without Node APIs), or `?symbols=A,B,C` for a feed of your own published into `feed:prices.<SYMBOL>`.
import { DEMO_CITIES, DEMO_SYMBOLS } from '../../src/ingest/demo-data.ts';

/** A symbol is what follows `feed:prices.` in a channel name: no spaces, no `:`; long names are fine. */
const SYMBOL = /^[A-Za-z0-9_.-]{1,64}$/;
/** More rows than this is not a dashboard any more: each row is a subscribe and a history request, and 40 of each stay
 * inside the server's default burst of 100 messages. */
const MAX_SYMBOLS = 40;

/**
 * The symbols to show.
 * @param search `location.search`.
 * @returns `?symbols=` (valid names, once each, at most 40) when given, else the demo's 20.
 */
export function symbolsFrom(search: string): string[] {
  const asked = new URLSearchParams(search).get('symbols');
  if (asked === null) return DEMO_SYMBOLS.map(([symbol]) => symbol);
  const names = asked
    .split(',')
    .map((s) => s.trim())
    .filter((s) => SYMBOL.test(s));
  return [...new Set(names)].slice(0, MAX_SYMBOLS);
}

/** The cities of the weather strip. */
export function cities(): string[] {
  return DEMO_CITIES.map(([city]) => city);
}

export const priceChannel = (symbol: string): string => `feed:prices.${symbol}`;
export const weatherChannel = (city: string): string => `feed:weather.${city}`;
