// Realtime: runs the server logic (ServerLogic hooks and in-process RPC handlers) with a deadline, checks the shape of
// every answer, chains several logics in order, and turns whatever goes wrong into a logged failure answered
// `internal`: the operation waiting on a hook is always freed, and nothing a hook does can crash the server.
import { ErrorCode, RPC_METHOD_NAME, utf8Length, type JsonValue } from '../messages/index.ts';
import type {
  ConnectContext,
  DisconnectContext,
  PublishContext,
  RpcContext,
  RpcHandler,
  ServerLogic,
  SubscribeContext,
} from './logic.ts';
import {
  checkConnectAnswer,
  checkDataAnswer,
  checkSubscribeAnswer,
  type Checked,
  type Refused,
  type RefusalOutcome,
} from './logic-answers.ts';
import { mergeInfo, withData } from './logic-context.ts';
import {
  type AfterWait,
  type Answer,
  asIs,
  CALL_ENDED,
  isAnswer,
  startCall,
  TIMED_OUT,
  WaitingCall,
} from './logic-call.ts';
import { type LogicDeadline, LogicDeadlines } from './logic-deadlines.ts';
import { LOGIC_HOOKS, type LogicFailureReason, type LogicHook } from './logic-failure.ts';
import type { RealtimeObserver } from './observer.ts';

/** The message every failure of the logic is answered with: details go to the logs, never to the client. */
const INTERNAL_MESSAGE = 'Internal server error';

/** What the runner answers: the value to go on with, or the `error` to send (code and message). */
export type LogicOutcome<T> = { readonly ok: true; readonly value: T } | RefusalOutcome;

/** Options of {@link LogicRunner}. */
export interface LogicRunnerOptions {
  /** The deadline of each call, in milliseconds (`RealtimeServerOptions.logicTimeoutMs`). */
  readonly timeoutMs: number;
  /** The largest replaced publication data, as JSON bytes (the hub's `maxMessageSize`). */
  readonly maxDataBytes: number;
  /** Where failures are reported (metrics and logs). */
  readonly observer: RealtimeObserver;
}

const FAILED: RefusalOutcome = { ok: false, code: ErrorCode.INTERNAL, message: INTERNAL_MESSAGE };

/**
 * Runs the configured {@link ServerLogic}s and in-process RPC handlers. Every call gets the deadline; a throw, a
 * rejection, a passed deadline or an answer of the wrong shape is reported (`observer.logicFailed`) and answered
 * `internal`; a refusal is answered with its code and message (at most 256 characters). With no logic configured
 * for a hook, `has(hook)` is false and the operations skip the runner entirely (no promise, no context object).
 */
export class LogicRunner {
  readonly #logics: ServerLogic[] = [];
  readonly #handlers = new Map<string, RpcHandler>();
  readonly #options: LogicRunnerOptions;
  /** Logics that define each hook, in order. */
  readonly #byHook = new Map<LogicHook, ServerLogic[]>();
  #inFlight = 0;
  /** The deadlines of the calls waiting on a promise (one duration, so one list and one timer). */
  readonly #deadlines: LogicDeadlines;

  /**
   * @param logics The logics configured at start, in chain order.
   * @param options Deadline, data limit, observer.
   * @throws {TypeError} When a logic is not an object or one of its hooks is not a function.
   */
  constructor(logics: readonly ServerLogic[], options: LogicRunnerOptions) {
    this.#options = options;
    this.#deadlines = new LogicDeadlines(options.timeoutMs);
    for (const logic of logics) this.use(logic);
  }

  /** Calls waiting on the logic now (each ends by its deadline at the latest). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Appends a logic to the chain (it runs after those already there).
   * @param logic The logic.
   * @throws {TypeError} When `logic` is not an object or one of its hooks is not a function.
   */
  use(logic: ServerLogic): void {
    if (typeof logic !== 'object' || logic === null) throw new TypeError('Cannot use the logic: expected an object');
    for (const hook of LOGIC_HOOKS) {
      const member: unknown = logic[hook];
      if (member === undefined) continue;
      if (typeof member !== 'function') throw new TypeError(`Cannot use the logic: ${hook} is not a function`);
    }
    this.#logics.push(logic);
    for (const hook of LOGIC_HOOKS) {
      if (logic[hook] === undefined) continue;
      let list = this.#byHook.get(hook);
      if (list === undefined) {
        list = [];
        this.#byHook.set(hook, list);
      }
      list.push(logic);
    }
  }

  /**
   * Registers an in-process RPC method (answered before any logic's `rpc`).
   * @param method The method name (`RPC_METHOD_NAME`: 1-64 of `A-Z a-z 0-9 _ . : -`).
   * @param handler Its handler.
   * @throws {TypeError} For an invalid or already registered name, or a handler that is not a function.
   */
  register(method: string, handler: RpcHandler): void {
    if (typeof method !== 'string' || !RPC_METHOD_NAME.test(method))
      throw new TypeError('Cannot register the RPC method: expected 1-64 of A-Z a-z 0-9 _ . : -');
    if (typeof handler !== 'function') throw new TypeError(`Cannot register RPC method '${method}': not a function`);
    if (this.#handlers.has(method)) throw new TypeError(`Cannot register RPC method '${method}': already registered`);
    this.#handlers.set(method, handler);
  }

  /**
   * Whether any logic defines the hook: the operations' fast path when it is false.
   * @param hook A hook other than `rpc`.
   */
  has(hook: Exclude<LogicHook, 'rpc'>): boolean {
    return this.#byHook.has(hook);
  }

  /**
   * Runs `onConnect` or `onRefresh` through the chain: each logic sees the info merged so far, and the attached
   * info merges shallowly (a later logic's key wins). A refusal stops the chain.
   * @param hook Which of the two.
   * @param context The caller and token expiry.
   * @returns The info the logics attached (null when none), or the error to answer.
   */
  async connect(
    hook: 'onConnect' | 'onRefresh',
    context: ConnectContext,
  ): Promise<LogicOutcome<Readonly<Record<string, unknown>> | null>> {
    let attached: Readonly<Record<string, unknown>> | null = null;
    let current = context;
    for (const logic of this.#byHook.get(hook) ?? []) {
      const answer = await this.#call(hook, () => logic[hook]!(current));
      if (answer === TIMED_OUT) return FAILED;
      const checked = checkConnectAnswer(answer.value);
      const outcome = this.#settle(hook, answer, checked);
      if (outcome !== null) return outcome;
      const info = (checked as { value: Record<string, unknown> | null }).value;
      if (info === null) continue;
      attached = mergeInfo(attached, info);
      current = { ...current, info: mergeInfo(current.info, info) };
    }
    return { ok: true, value: attached };
  }

  /**
   * Runs `onSubscribe` through the chain; a refusal stops it.
   * @param context The caller and channel.
   * @returns Accepted, or the error to answer.
   */
  async subscribe(context: SubscribeContext): Promise<LogicOutcome<undefined>> {
    for (const logic of this.#byHook.get('onSubscribe') ?? []) {
      const answer = await this.#call('onSubscribe', () => logic.onSubscribe!(context));
      if (answer === TIMED_OUT) return FAILED;
      const outcome = this.#settle('onSubscribe', answer, checkSubscribeAnswer(answer.value));
      if (outcome !== null) return outcome;
    }
    return { ok: true, value: undefined };
  }

  /**
   * Runs `onPublish` through the chain: replaced data feeds the next logic; a refusal stops it. Replaced data larger
   * than the hub's message size limit is answered `too_large` (the client's own message was within it, so the logic
   * must not make a publication no client could have sent).
   * @param context The caller, channel and data.
   * @returns The data to store, or the error to answer.
   */
  publish(context: PublishContext): LogicOutcome<JsonValue> | Promise<LogicOutcome<JsonValue>> {
    return this.#publishFrom(this.#byHook.get('onPublish') ?? [], 0, context, false);
  }

  /**
   * The chain of `onPublish` from `index` on. Optimisation (bench/RESULTS.md, logic-notes): while every hook answers
   * synchronously the outcome is returned as is, with no promise and no microtask; the first promise hands the rest
   * of the chain to {@link LogicRunner.#publishAfter}.
   */
  #publishFrom(
    logics: readonly ServerLogic[],
    index: number,
    context: PublishContext,
    replaced: boolean,
  ): LogicOutcome<JsonValue> | Promise<LogicOutcome<JsonValue>> {
    let current = context;
    for (let i = index; i < logics.length; i++) {
      const logic = logics[i]!;
      const asked = current;
      const answer = startCall(() => logic.onPublish!(asked));
      if (!isAnswer(answer)) return this.#publishAfter(logics, i, current, replaced, answer);
      const next = this.#publishStep(answer, current);
      if (next === null) continue;
      if ('ok' in next) return next;
      current = next;
      replaced = true;
    }
    return this.#publishEnd(current, replaced);
  }

  /**
   * The chain from a hook that answered with a promise: the rest runs as the waiting call's continuation, and its
   * outcome settles the one promise `publishInto` awaits (no async function and no second promise in between).
   */
  #publishAfter(
    logics: readonly ServerLogic[],
    index: number,
    context: PublishContext,
    replaced: boolean,
    pending: PromiseLike<unknown>,
  ): Promise<LogicOutcome<JsonValue>> {
    return this.#wait('onPublish', pending, (answer) => {
      if (answer === TIMED_OUT) return FAILED;
      const next = this.#publishStep(answer, context);
      if (next !== null && 'ok' in next) return next;
      return this.#publishFrom(logics, index + 1, next ?? context, replaced || next !== null);
    });
  }

  /** One `onPublish` answer: null to go on as is, the context with the replaced data, or the outcome to answer. */
  #publishStep(answer: Answer, current: PublishContext): PublishContext | RefusalOutcome | null {
    const checked = checkDataAnswer(answer.value, true);
    const outcome = this.#settle('onPublish', answer, checked);
    if (outcome !== null) return outcome;
    const data = (checked as { value: JsonValue | undefined }).value;
    return data === undefined ? null : withData(current, data);
  }

  /** The chain's end: replaced data larger than the hub's message size limit is answered `too_large`. */
  #publishEnd(current: PublishContext, replaced: boolean): LogicOutcome<JsonValue> {
    if (replaced) {
      const bytes = utf8Length(JSON.stringify(current.data));
      if (bytes > this.#options.maxDataBytes)
        return {
          ok: false,
          code: ErrorCode.TOO_LARGE,
          message: `Cannot publish: the server logic made the data larger than ${this.#options.maxDataBytes} bytes`,
        };
    }
    return { ok: true, value: current.data };
  }

  /**
   * Answers an `rpc`: the in-process handler of the method if there is one, else each logic's `rpc` in order until
   * one answers non-null; none → `not_found`.
   * @param context The caller, method and data.
   * @returns The reply's data (undefined for an empty reply), or the error to answer.
   */
  async rpc(context: RpcContext): Promise<LogicOutcome<JsonValue | undefined>> {
    const handler = this.#handlers.get(context.method);
    if (handler !== undefined) {
      const answer = await this.#call('rpc', () => handler(context));
      if (answer === TIMED_OUT) return FAILED;
      const checked = checkDataAnswer(answer.value, true);
      return this.#settle('rpc', answer, checked) ?? { ok: true, value: (checked as { value: JsonValue }).value };
    }
    for (const logic of this.#byHook.get('rpc') ?? []) {
      const answer = await this.#call('rpc', () => logic.rpc!(context));
      if (answer === TIMED_OUT) return FAILED;
      if (answer.ok && answer.value === null) continue;
      // `ServerLogic.rpc` answers null for "not mine"; undefined is not in its contract.
      const checked = checkDataAnswer(answer.value, false);
      return this.#settle('rpc', answer, checked) ?? { ok: true, value: (checked as { value: JsonValue }).value };
    }
    return { ok: false, code: ErrorCode.NOT_FOUND, message: `Unknown RPC method '${context.method}'` };
  }

  /**
   * Tells every logic that a session ended (in order, each with the deadline); answers are ignored, failures
   * reported. Returns at once: nothing waits for it.
   * @param context The caller and the close.
   */
  disconnect(context: DisconnectContext): void {
    const logics = this.#byHook.get('onDisconnect');
    if (logics === undefined) return;
    void (async () => {
      for (const logic of logics) {
        const answer = await this.#call('onDisconnect', () => logic.onDisconnect!(context));
        if (answer !== TIMED_OUT) this.#settle('onDisconnect', answer, { ok: true, value: undefined });
      }
    })();
  }

  /**
   * Calls one hook. A synchronous answer (or throw) is returned as is, with no promise and no timer; a promise is
   * waited on with the shared deadline ({@link LogicDeadlines}), and whichever comes first, its settlement or the
   * deadline, ends the call once.
   */
  #call(hook: LogicHook, run: () => unknown): Answer | Promise<Answer | typeof TIMED_OUT> {
    const answer = startCall(run);
    return isAnswer(answer) ? answer : this.#wait(hook, answer, asIs);
  }

  /**
   * Waits on a hook's thenable with the shared deadline ({@link LogicDeadlines}): whichever comes first, its
   * settlement or the deadline, ends the call once, and `then` goes on from there.
   * @returns the promise of what `then` answers
   */
  #wait<R>(hook: LogicHook, pending: PromiseLike<unknown>, then: AfterWait<R>): Promise<R> {
    this.#inFlight++;
    return new Promise<R>((resolve) => {
      const call = new WaitingCall(this, hook, then, resolve);
      this.#deadlines.arm(call);
      // Promise.resolve adopts a foreign thenable (and turns a `then` that throws into a rejection).
      Promise.resolve(pending).then(
        (value: unknown) => call.end({ ok: true, value }),
        (err: unknown) => call.end({ ok: false, value: err }),
      );
    });
  }

  /** @internal A waiting call ended (answered, or by its deadline). */
  [CALL_ENDED](call: { readonly hook: LogicHook } & LogicDeadline, timedOut: boolean): void {
    this.#inFlight--;
    if (timedOut) {
      this.#failed(call.hook, 'timeout', new Error(`${call.hook} did not answer within ${this.#options.timeoutMs} ms`));
    } else this.#deadlines.cancel(call);
  }

  /** Null to go on with the chain; else the outcome to answer (a refusal, or a reported failure). */
  #settle(hook: LogicHook, answer: Answer, checked: Checked | Refused): RefusalOutcome | null {
    if (!answer.ok) {
      this.#failed(hook, 'threw', answer.value);
      return FAILED;
    }
    if ('refuse' in checked) return checked.refuse;
    if (!checked.ok) {
      this.#failed(hook, 'invalid', new TypeError(`${hook} answered ${checked.message}`));
      return FAILED;
    }
    return null;
  }

  #failed(hook: LogicHook, reason: LogicFailureReason, detail: unknown): void {
    try {
      this.#options.observer.logicFailed?.(hook, reason, detail);
    } catch {
      // An observer that throws must not turn a reported failure into a crash.
    }
  }
}
