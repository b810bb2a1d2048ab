// Client SDK (Node-free): client message ids, and the recent ids of `echo: false` publishes (recognised in history).

/** Ids of recent `echo: false` publishes kept to recognise them in history: far more than are ever in flight. */
const MAX_QUIET_IDS = 1024;

/** A random UUID (hex without dashes where `crypto.randomUUID` is missing). */
export function defaultMessageId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } })
    .crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Ids of this client's recent `echo: false` publishes, oldest first (bounded by MAX_QUIET_IDS). */
export class QuietIds {
  readonly #ids = new Set<string>();

  /** Remembers an id, forgetting the oldest past the bound. */
  add(id: string): void {
    this.#ids.add(id);
    if (this.#ids.size > MAX_QUIET_IDS) this.#ids.delete(this.#ids.values().next().value!);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }
}
