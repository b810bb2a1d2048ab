// Test helper: a raw HTTP client of the emulated sessions (docs/protocol.md § 15): an SSE line parser over fetch,
// a long-polling session with acks, and the send POST. No SDK: what a client on plain HTTP sees.

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field; 'message' when none. */
  readonly event: string;
  readonly data: string;
}

/** Parses an event stream (text/event-stream) as it arrives: lines, fields, events ended by a blank line. */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  /** Comment lines seen (`: keepalive`). */
  comments = 0;

  /**
   * @param text The next piece of the stream.
   * @returns The events it completed.
   */
  push(text: string): SseEvent[] {
    this.#buffer += text;
    const out: SseEvent[] = [];
    let nl = this.#buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line === '') {
        if (this.#data.length > 0) out.push({ event: this.#event || 'message', data: this.#data.join('\n') });
        this.#event = '';
        this.#data = [];
      } else if (line.startsWith(':')) {
        this.comments++;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') this.#event = value;
        else if (field === 'data') this.#data.push(value);
      }
      nl = this.#buffer.indexOf('\n');
    }
    return out;
  }
}

type Message = Record<string, unknown> & { type: string };

/** Waits for items matching a predicate, failing after a deadline. */
class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { pred: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  add(item: T): void {
    this.items.push(item);
    for (const w of [...this.#waiters]) {
      if (w.pred(item)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(item);
      }
    }
  }

  next(pred: (item: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items).slice(0, 2000)}`));
      }, timeoutMs);
      const done = (item: T): void => {
        clearTimeout(timer);
        resolve(item);
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }
}

/** An open event-stream session read with fetch. */
export class SseSession {
  readonly session: string;
  readonly response: Response;
  readonly events = new Inbox<SseEvent>();
  readonly messages = new Inbox<Message>();
  readonly parser = new SseParser();
  readonly #abort: AbortController;
  /** Resolves when the stream ended (by the server or cut). */
  readonly ended: Promise<void>;

  private constructor(
    response: Response,
    abort: AbortController,
    session: string,
    rest: SseEvent[],
    reader: ReadableStreamDefaultReader<Uint8Array>,
    parser: SseParser,
  ) {
    this.response = response;
    this.#abort = abort;
    this.session = session;
    this.parser = parser;
    for (const e of rest) this.#take(e);
    this.ended = (async () => {
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          for (const e of parser.push(decoder.decode(value, { stream: true }))) this.#take(e);
        }
      } catch {
        // cut by close()
      }
    })();
  }

  #take(e: SseEvent): void {
    this.events.add(e);
    if (e.event === 'message') this.messages.add(JSON.parse(e.data) as Message);
  }

  /**
   * Opens `GET /http/stream`.
   * @returns The session, or the refusing response (its body read as JSON).
   */
  static async open(
    base: string,
    headers: Record<string, string> = {},
  ): Promise<SseSession | { status: number; body: Record<string, unknown>; headers: Headers }> {
    const abort = new AbortController();
    const response = await fetch(`${base}/http/stream`, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    if (response.status !== 200) {
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        headers: response.headers,
      };
    }
    const reader = response.body!.getReader();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const seen: SseEvent[] = [];
    while (seen.length === 0) {
      const { done, value } = await reader.read();
      if (done) throw new Error('stream ended before the open event');
      seen.push(...parser.push(decoder.decode(value, { stream: true })));
    }
    const open = seen.shift()!;
    if (open.event !== 'open') throw new Error(`first event is ${open.event}, not open`);
    const session = (JSON.parse(open.data) as { session: string }).session;
    return new SseSession(response, abort, session, seen, reader, parser);
  }

  /** Waits for a server message of a type (and matching a predicate). */
  next(type: string, pred: (m: Message) => boolean = () => true, timeoutMs = 5000): Promise<Message> {
    return this.messages.next((m) => m.type === type && pred(m), type, timeoutMs);
  }

  /** Cuts the stream (the client goes away). */
  close(): void {
    this.#abort.abort();
  }
}

/** `POST /http/send?session=<id>` with a JSON body. */
export function send(
  base: string,
  session: string,
  messages: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}/http/send?session=${encodeURIComponent(session)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof messages === 'string' ? messages : JSON.stringify(messages),
  });
}

/** A poll answer. */
export interface PollAnswer {
  readonly seq: number;
  readonly messages: Message[];
  readonly close?: { code: number; reason: string };
}

/** A long-polling session: `POST /http/poll` to open, `GET /http/poll?ack=` to read, acking what it processed. */
export class PollSession {
  readonly session: string;
  readonly base: string;
  readonly headers: Record<string, string>;
  /** The highest seq processed. */
  ack = 0;
  readonly messages = new Inbox<Message>();
  /** Every seq received, in order (duplicates would show here). */
  readonly seqs: number[] = [];
  closed: { code: number; reason: string } | null = null;
  #running = false;
  #abort: AbortController | null = null;

  private constructor(base: string, session: string, headers: Record<string, string>) {
    this.base = base;
    this.session = session;
    this.headers = headers;
  }

  /** Opens a polling session; the refusing response's status and body when refused. */
  static async open(
    base: string,
    headers: Record<string, string> = {},
  ): Promise<PollSession | { status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}/http/poll`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: '{}',
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) return { status: res.status, body };
    return new PollSession(base, body['session'] as string, headers);
  }

  /** One poll, answered or refused: the raw response. */
  pollRaw(ack = this.ack, signal?: AbortSignal): Promise<Response> {
    return fetch(`${this.base}/http/poll?session=${encodeURIComponent(this.session)}&ack=${ack}`, {
      headers: this.headers,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  /** One poll: takes the messages after `ack` (skipping any already processed) and acks them. */
  async pollOnce(): Promise<PollAnswer> {
    const res = await this.pollRaw();
    if (res.status !== 200) throw new Error(`poll answered ${res.status}: ${await res.text()}`);
    const answer = (await res.json()) as PollAnswer;
    this.take(answer);
    return answer;
  }

  /** Processes an answer: messages numbered seq-len+1 … seq; those at or under `ack` are duplicates and skipped. */
  take(answer: PollAnswer): void {
    const first = answer.seq - answer.messages.length + 1;
    answer.messages.forEach((m, i) => {
      const seq = first + i;
      if (seq <= this.ack) return;
      this.seqs.push(seq);
      this.messages.add(m);
    });
    this.ack = Math.max(this.ack, answer.seq);
    if (answer.close !== undefined) this.closed = answer.close;
  }

  /** Polls in a loop until stopped or the session closes. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void (async () => {
      while (this.#running && this.closed === null) {
        this.#abort = new AbortController();
        try {
          const res = await this.pollRaw(this.ack, this.#abort.signal);
          if (res.status !== 200) {
            this.#running = false;
            return;
          }
          this.take((await res.json()) as PollAnswer);
        } catch {
          if (!this.#running) return;
        }
      }
    })();
  }

  /** Stops polling (a held poll is cut). */
  stop(): void {
    this.#running = false;
    this.#abort?.abort();
  }

  /** Ends the session: `DELETE /http/poll`. */
  end(headers: Record<string, string> = this.headers): Promise<Response> {
    return fetch(`${this.base}/http/poll?session=${encodeURIComponent(this.session)}`, { method: 'DELETE', headers });
  }

  /** Sends client messages. */
  send(messages: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return send(this.base, this.session, messages, { ...this.headers, ...headers });
  }

  /** Waits for a server message of a type (and matching a predicate). */
  next(type: string, pred: (m: Message) => boolean = () => true, timeoutMs = 5000): Promise<Message> {
    return this.messages.next((m) => m.type === type && pred(m), type, timeoutMs);
  }
}
