// Test helper: a raw `text/event-stream` reader over fetch, with the parsing rules of the HTML EventSource spec.

/** One dispatched event, with the stream's last event id at that point (what a browser would send back). */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly lastEventId: string;
}

/** An open event stream: the events and comments so far, and waits on the next ones. */
export class SseReader {
  readonly status: number;
  readonly headers: Headers;
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** The last `retry:` value, or null. */
  retryMs: number | null = null;
  /** The last event id (the spec's "last event ID string"). */
  lastEventId = '';
  /** Whether the stream has ended (by the server, a cut, or `close`). */
  ended = false;
  readonly #controller: AbortController;
  readonly #waiters = new Set<() => void>();
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #hasData = false;
  #idBuffer = '';
  #paused: Promise<void> | null = null;
  #resume: (() => void) | null = null;

  private constructor(response: Response, controller: AbortController) {
    this.status = response.status;
    this.headers = response.headers;
    this.#controller = controller;
    if (response.body !== null) void this.#pump(response.body);
  }

  /**
   * Opens a stream; a non-200 answer is returned as it is (its JSON body read).
   * @param url The `/sse` URL.
   * @param headers Request headers (`Last-Event-ID`, `Authorization`, `Origin`).
   */
  static async open(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<SseReader | { status: number; body: Record<string, unknown>; headers: Headers }> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    if (response.status !== 200)
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        headers: response.headers,
      };
    return new SseReader(response, controller);
  }

  /** Stops reading (the server's writes pile up in the socket buffers) until `resume`. */
  pause(): void {
    this.#paused ??= new Promise((resolve) => {
      this.#resume = resolve;
    });
  }

  /** Reads again after `pause`. */
  resume(): void {
    this.#resume?.();
    this.#paused = null;
    this.#resume = null;
  }

  /**
   * Waits until `predicate` holds over the events so far.
   * @param predicate Checked after every event and at the end.
   * @param timeoutMs Fails the wait after this long (a hang is a failure, not a measure).
   */
  async until(predicate: (events: readonly SseEvent[]) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this.events)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`Timed out; events so far: ${JSON.stringify(this.events.slice(-5))}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate(this.events) && !this.ended) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (predicate(this.events)) resolve();
        else reject(new Error(`Stream ended; events: ${JSON.stringify(this.events.slice(-5))}`));
      };
      this.#waiters.add(check);
    });
  }

  /** Waits for the end of the stream. */
  async closed(timeoutMs = 10_000): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('The stream did not end')), timeoutMs);
      const check = (): void => {
        if (!this.ended) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** The unnamed events' data, parsed. */
  publications(): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as Record<string, unknown>);
  }

  /** Aborts the request. */
  close(): void {
    this.#controller.abort();
  }

  async #pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        if (this.#paused !== null) await this.#paused;
        this.#feed(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // Aborted or cut: the end is the same to a reader.
    }
    this.ended = true;
    for (const w of [...this.#waiters]) w();
  }

  #feed(text: string): void {
    this.#buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      if (m === null) return;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (m[0] === '\r' && m.index === this.#buffer.length - 1) return;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      // The HTML spec: the id becomes the stream's last event id when the event is dispatched, not when it is read.
      this.lastEventId = this.#idBuffer;
      if (this.#hasData) {
        this.events.push({
          event: this.#event || 'message',
          data: this.#data.join('\n'),
          lastEventId: this.lastEventId,
        });
        for (const w of [...this.#waiters]) w();
      }
      this.#data = [];
      this.#event = '';
      this.#hasData = false;
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.#data.push(value);
      this.#hasData = true;
    } else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\u0000')) this.#idBuffer = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}
