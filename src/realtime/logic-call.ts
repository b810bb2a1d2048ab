// Realtime: one call to a server-logic hook: run at once (a synchronous answer or throw needs no promise and no
// timer), or waiting on the hook's promise with a deadline, whichever of the two comes first ending it once.
import { LogicDeadline } from './logic-deadlines.ts';
import type { LogicHook } from './logic-failure.ts';

/** Marks a deadline that passed (never a value a hook could produce). */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** The runner's seam for {@link WaitingCall}: a call that ended. */
export const CALL_ENDED: unique symbol = Symbol('call ended');

/** How one call to a hook ended: its answer, or what it threw or rejected with. */
export type Answer = { readonly ok: boolean; readonly value: unknown };

/** What a waiting call goes on with once it ended (the deadline first: TIMED_OUT). */
export type AfterWait<R> = (answer: Answer | typeof TIMED_OUT) => R | PromiseLike<R>;

/** The continuation that answers what ended the call. */
export const asIs: AfterWait<Answer | typeof TIMED_OUT> = (answer) => answer;

/** Who is told when a waiting call ends: the runner (its in-flight count and deadline list). */
export interface CallOwner {
  [CALL_ENDED](call: { readonly hook: LogicHook } & LogicDeadline, timedOut: boolean): void;
}

/** Runs a hook: its synchronous answer (or throw), or the thenable it answered with. */
export function startCall(run: () => unknown): Answer | PromiseLike<unknown> {
  let answer: unknown;
  try {
    answer = run();
  } catch (err) {
    return { ok: false, value: err };
  }
  return isThenable(answer) ? answer : { ok: true, value: answer };
}

/** A call waiting on a hook's promise, armed in the runner's deadline list until it ends. */
export class WaitingCall<R> extends LogicDeadline {
  readonly hook: LogicHook;
  readonly #runner: CallOwner;
  readonly #then: AfterWait<R>;
  readonly #resolve: (value: R | PromiseLike<R>) => void;
  #ended = false;

  constructor(runner: CallOwner, hook: LogicHook, then: AfterWait<R>, resolve: (value: R | PromiseLike<R>) => void) {
    super();
    this.#runner = runner;
    this.hook = hook;
    this.#then = then;
    this.#resolve = resolve;
  }

  /** The hook's promise settled: the answer counts unless the deadline came first. */
  end(answer: Answer): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#runner[CALL_ENDED](this, false);
    this.#goOn(answer);
  }

  onDeadline(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#runner[CALL_ENDED](this, true);
    this.#goOn(TIMED_OUT);
  }

  /** Runs the continuation; what it throws rejects the call's promise, as a throw in an async function would. */
  #goOn(answer: Answer | typeof TIMED_OUT): void {
    try {
      this.#resolve(this.#then(answer));
    } catch (err) {
      this.#resolve(Promise.reject(err));
    }
  }
}

/** Whether `startCall` answered at once (an Answer never has a `then`). */
export function isAnswer(value: Answer | PromiseLike<unknown>): value is Answer {
  return typeof (value as { then?: unknown }).then !== 'function';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
