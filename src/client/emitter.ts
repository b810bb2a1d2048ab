// Client SDK (Node-free): a minimal typed event emitter (no EventTarget, no node:events).

/** Listener map keyed by event name; `Events` maps each name to its payload type. */
export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /**
   * Adds a listener.
   * @param event The event name.
   * @param listener Called with the payload; exceptions it throws are reported to `onListenerError`.
   * @returns A function that removes the listener.
   */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /**
   * Adds a listener called at most once.
   * @param event The event name.
   * @param listener Called with the first payload after this call.
   * @returns A function that removes the listener before it ran.
   */
  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /**
   * Removes a listener added with {@link on}.
   * @param event The event name.
   * @param listener The same function.
   */
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /**
   * Calls every listener of `event` in insertion order. A throwing listener does not stop the others.
   * @param event The event name.
   * @param payload The payload.
   */
  /**
   * Number of listeners of `event` (tests and leak checks).
   * @param event The event name.
   */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /**
   * Called when a listener throws. The default rethrows in a microtask (reported like any uncaught error: the
   * browser's `error` event, Node's `uncaughtException`) so the error is visible but the client's state machine is
   * never interrupted.
   * @param err What the listener threw.
   */
  protected onListenerError(err: unknown): void {
    queueMicrotask(() => {
      throw err;
    });
  }
}
