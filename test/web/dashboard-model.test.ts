// The dashboard page's DOM-free parts: a symbol's state across live ticks, history in any order, duplicates and a
// new epoch (a restarted server), and the connection indicator's states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asTick, asWeather, CHART_POINTS, SymbolState } from '../../web/dashboard/model.ts';
import { linkState } from '../../web/dashboard/link-state.ts';

const tick = (price: number, change = 0) => ({ symbol: 'ACME', price, change, changePct: 0, volume: 100, time: 1 });
const at = (epoch: string, offset: number, price: number, change = 0) => ({
  epoch,
  offset,
  time: offset,
  data: tick(price, change),
});

test('dashboard model: the latest offset wins, history fills the chart in offset order, duplicates count once', () => {
  const s = new SymbolState('ACME', 'feed:prices.ACME');
  assert.equal(s.apply(at('e1', 5, 105)), true, 'the snapshot');
  assert.equal(s.last?.price, 105);
  // History arrives after: older prices extend the chart, the shown price stays.
  for (const o of [1, 2, 3, 4, 5]) assert.equal(s.apply(at('e1', o, 100 + o)), false);
  assert.equal(s.last?.price, 105);
  assert.deepEqual(
    s.points.map((p) => p.offset),
    [1, 2, 3, 4, 5],
  );
  assert.equal(s.apply(at('e1', 6, 106)), true);
  assert.equal(s.apply(at('e1', 6, 106)), false, 'a duplicate');
  assert.equal(s.points.length, 6);
  for (let o = 7; o < 7 + CHART_POINTS; o++) s.apply(at('e1', o, 100));
  assert.equal(s.points.length, CHART_POINTS, 'the chart keeps the latest points only');
  assert.equal(s.points[0]!.offset, 7 + CHART_POINTS - CHART_POINTS);
});

test('dashboard model: a new epoch (restarted server) starts the row and its chart again', () => {
  const s = new SymbolState('ACME', 'feed:prices.ACME');
  for (let o = 1; o <= 30; o++) s.apply(at('old', o, 100));
  assert.equal(s.apply(at('new', 1, 90, -10)), true, 'offset 1 of the new epoch is news');
  assert.equal(s.epoch, 'new');
  assert.equal(s.offset, 1);
  assert.equal(s.last?.change, -10);
  assert.deepEqual(s.points, [{ offset: 1, time: 1, price: 90 }]);
});

test('dashboard model: data of another shape is ignored, not shown wrong', () => {
  const s = new SymbolState('ACME', 'feed:prices.ACME');
  for (const data of [null, 'text', 42, { symbol: 'ACME' }, { price: 1 }, { symbol: 'ACME', price: 'x' }])
    assert.equal(s.apply({ epoch: 'e', offset: 1, time: 1, data }), false, JSON.stringify(data));
  assert.equal(s.last, null);
  const before = Date.now();
  const tick = asTick({ symbol: 'A', price: 2 });
  const after = Date.now();
  assert.ok(tick !== null && tick.time >= before && tick.time <= after, 'a tick without a time is stamped now');
  assert.deepEqual(tick, { symbol: 'A', price: 2, change: 0, changePct: 0, volume: 0, time: tick.time });
  assert.equal(asWeather({ city: 'Oslo' }), null);
  assert.equal(asWeather({ city: 'Oslo', temperatureC: 3 })?.condition, '');
});

test('dashboard status: connecting until the first connection, then reconnecting; offline without a network', () => {
  assert.equal(linkState('idle', false, true), 'connecting');
  assert.equal(linkState('connecting', false, true), 'connecting');
  assert.equal(linkState('connected', false, true), 'connected');
  assert.equal(linkState('disconnected', true, true), 'reconnecting');
  assert.equal(linkState('connecting', true, true), 'reconnecting');
  assert.equal(linkState('connecting', true, false), 'offline');
  assert.equal(linkState('closed', true, true), 'offline');
  assert.equal(linkState('connected', true, false), 'offline', 'a socket not yet known dead');
});
