// CircuitBreaker on a hand-driven clock: every transition of closed / open / half-open, and no half-open after an
// ack has already closed the circuit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, type BreakerState } from '../../src/client/index.ts';
import { TimerSet } from '../../src/client/timers.ts';
import { ManualClock } from './fixtures/manual-clock.ts';

function setup(threshold = 3, resetMs = 5000) {
  const clock = new ManualClock();
  const states: BreakerState[] = [];
  const breaker = new CircuitBreaker(
    { failureThreshold: threshold, resetTimeoutMs: resetMs },
    (s) => states.push(s),
    new TimerSet(clock),
  );
  return { clock, states, breaker };
}

test('closed -> (threshold failures) open -> (reset timeout) half-open -> probe acked -> closed', () => {
  const { clock, states, breaker } = setup(3, 5000);
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, 'closed', 'below the threshold the circuit stays closed');
  assert.equal(breaker.allows, true);
  breaker.failure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.allows, false);
  clock.advance(4999);
  assert.equal(breaker.state, 'open', 'still open 1 ms before the reset timeout');
  clock.advance(1);
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.allows, true, 'half-open lets a probe through');
  breaker.success();
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(states, ['open', 'half-open', 'closed']);
  assert.equal(clock.pending, 0, 'nothing left scheduled');
});

test('open -> an ack from an earlier send closes the circuit, and it never half-opens later by itself', () => {
  const { clock, states, breaker } = setup(2, 5000);
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, 'open');
  clock.advance(1000);
  breaker.success();
  assert.equal(breaker.state, 'closed');
  assert.equal(clock.pending, 0, 'the reset timer was cancelled');
  clock.advance(60_000);
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(states, ['open', 'closed']);
});

test('half-open -> the probe fails -> open again, with a fresh reset timeout', () => {
  const { clock, states, breaker } = setup(1, 300);
  breaker.failure();
  clock.advance(300);
  assert.equal(breaker.state, 'half-open');
  breaker.failure();
  assert.equal(breaker.state, 'open', 'one failed probe reopens the circuit');
  clock.advance(299);
  assert.equal(breaker.state, 'open');
  clock.advance(1);
  assert.equal(breaker.state, 'half-open');
  breaker.success();
  assert.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed']);
});

test('a success resets the failure count; dispose() cancels the reset timer', () => {
  const { clock, states, breaker } = setup(3, 100);
  breaker.failure();
  breaker.failure();
  breaker.success();
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.state, 'closed', 'failures are counted consecutively');
  breaker.failure();
  assert.equal(breaker.state, 'open');
  breaker.dispose();
  clock.advance(1000);
  assert.equal(breaker.state, 'open', 'a disposed breaker no longer half-opens');
  assert.deepEqual(states, ['open']);
});

test('on the system clock too: an open circuit closed by an ack stays closed after the reset timeout has passed', async () => {
  const states: BreakerState[] = [];
  const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 20 }, (s) => states.push(s));
  breaker.failure();
  breaker.success();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(states, ['open', 'closed'], 'no half-open after the circuit closed');
  breaker.dispose();
});
