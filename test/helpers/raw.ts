// Test helper: a raw TCP WebSocket peer that sends any bytes (valid or hostile) and reads the answer, every wait bounded.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** The RFC 6455 §1.3 GUID, duplicated here so the helper proves the engine rather than reusing its code. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Default time any single read waits before failing the test. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Expected `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** A fresh, valid 16-byte base64 `Sec-WebSocket-Key`. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** XOR-masks `data` with `key` into a new buffer (byte loop, deliberately simple). */
export function maskBytes(data: Uint8Array, key: Uint8Array, offset = 0): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[(i + offset) & 3]!;
  return out;
}

/** How the payload length is written in a frame header. */
export type LengthEncoding = 'auto' | 7 | 16 | 64;

export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  /** @default true */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** @default true (a client frame); false writes MASK=0 */
  readonly mask?: boolean;
  /** @default random */
  readonly maskKey?: Uint8Array;
  /** Force a length encoding (non-minimal lengths, FR-11). @default 'auto' */
  readonly lengthEncoding?: LengthEncoding;
  /** Announce this length instead of the payload's (oversize headers, lying lengths). */
  readonly announcedLength?: bigint | number;
}

/** Builds one frame header (with mask key if masked) for the given announced length. */
export function frameHeader(spec: FrameSpec, payloadLength: bigint | number, maskKey: Uint8Array | null): Buffer {
  const len = BigInt(payloadLength);
  let enc = spec.lengthEncoding ?? 'auto';
  if (enc === 'auto') enc = len < 126n ? 7 : len < 65536n ? 16 : 64;
  const b0 =
    (spec.fin === false ? 0 : 0x80) |
    (spec.rsv1 === true ? 0x40 : 0) |
    (spec.rsv2 === true ? 0x20 : 0) |
    (spec.rsv3 === true ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  const maskBit = maskKey === null ? 0 : 0x80;
  const parts: Buffer[] = [];
  if (enc === 7) {
    parts.push(Buffer.from([b0, maskBit | Number(len & 0x7fn)]));
  } else if (enc === 16) {
    const h = Buffer.alloc(4);
    h[0] = b0;
    h[1] = maskBit | 126;
    h.writeUInt16BE(Number(len & 0xffffn), 2);
    parts.push(h);
  } else {
    const h = Buffer.alloc(10);
    h[0] = b0;
    h[1] = maskBit | 127;
    h.writeBigUInt64BE(len & 0xffffffffffffffffn, 2);
    parts.push(h);
  }
  if (maskKey !== null) parts.push(Buffer.from(maskKey));
  return Buffer.concat(parts);
}

/** Builds a complete frame: client frames are masked unless `mask: false`. */
export function frame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload, 'utf8') : Buffer.from(spec.payload ?? []);
  const masked = spec.mask !== false;
  const key = masked ? (spec.maskKey ?? randomBytes(4)) : null;
  const header = frameHeader(spec, spec.announcedLength ?? payload.length, key);
  return Buffer.concat([header, key === null ? payload : maskBytes(payload, key)]);
}

/** Shorthands for common client frames (masked). */
export const frames = {
  text: (payload: Uint8Array | string, fin = true) => frame({ opcode: 0x1, payload, fin }),
  binary: (payload: Uint8Array | string, fin = true) => frame({ opcode: 0x2, payload, fin }),
  cont: (payload: Uint8Array | string, fin = true) => frame({ opcode: 0x0, payload, fin }),
  ping: (payload: Uint8Array | string = '') => frame({ opcode: 0x9, payload }),
  pong: (payload: Uint8Array | string = '') => frame({ opcode: 0xa, payload }),
  close: (code?: number, reason = '') => frame({ opcode: 0x8, payload: closePayload(code, reason) }),
};

/** Close payload: 2-byte code + UTF-8 reason, or empty when `code` is undefined. */
export function closePayload(code?: number, reason: string | Uint8Array = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const r = typeof reason === 'string' ? Buffer.from(reason, 'utf8') : Buffer.from(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code & 0xffff, 0);
  r.copy(b, 2);
  return b;
}

/** Parses hex vectors like `'81 05 48656c6c6f'` (docs/architecture.md, Conventions). */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

export interface HandshakeSpec {
  readonly path?: string;
  readonly host?: string | null;
  readonly key?: string | null;
  readonly version?: string | null;
  readonly method?: string;
  readonly httpVersion?: string;
  readonly upgrade?: string | null;
  readonly connection?: string | null;
  readonly protocols?: string | null;
  readonly extensions?: string | null;
  readonly origin?: string | null;
  /** Extra raw header lines (name, value), duplicates allowed. */
  readonly extra?: ReadonlyArray<readonly [string, string]>;
}

/** Builds an upgrade request; a field set to null is omitted. */
export function handshakeRequest(spec: HandshakeSpec = {}, port = 80): string {
  const lines = [`${spec.method ?? 'GET'} ${spec.path ?? '/'} HTTP/${spec.httpVersion ?? '1.1'}`];
  const add = (name: string, v: string | null | undefined, dflt: string | null) => {
    const value = v === undefined ? dflt : v;
    if (value !== null) lines.push(`${name}: ${value}`);
  };
  add('Host', spec.host, `127.0.0.1:${port}`);
  add('Upgrade', spec.upgrade, 'websocket');
  add('Connection', spec.connection, 'Upgrade');
  add('Sec-WebSocket-Key', spec.key, newKey());
  add('Sec-WebSocket-Version', spec.version, '13');
  add('Sec-WebSocket-Protocol', spec.protocols, null);
  add('Sec-WebSocket-Extensions', spec.extensions, null);
  add('Origin', spec.origin, null);
  for (const [n, v] of spec.extra ?? []) lines.push(`${n}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface HttpHead {
  readonly statusLine: string;
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ', '. */
  readonly headers: Record<string, string>;
  readonly raw: string;
}

export interface ServerFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

export interface CloseInfo {
  /** Close code, or 1005 when the close frame had no payload. */
  readonly code: number;
  readonly reason: string;
  /** Close payload length on the wire (0 means no status code was sent). */
  readonly payloadLength: number;
  /** Frames that arrived before the close frame. */
  readonly before: ServerFrame[];
}

/** Thrown when a read times out; the message says what was awaited and what arrived. */
export class RawTimeoutError extends Error {
  override readonly name = 'RawTimeoutError';
}

/**
 * A raw TCP client. Incoming bytes accumulate in a buffer; readers take from it and wait (bounded) for more.
 * Socket errors (ECONNRESET, EPIPE) are recorded, never thrown unhandled.
 */
export class RawClient {
  readonly socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  /** True once the peer ended its side (FIN received). */
  ended = false;
  /** True once the socket is fully closed (either side, or destroyed). */
  closed = false;
  /** Socket errors seen (e.g. ECONNRESET). */
  readonly errors: Error[] = [];
  /** Bytes received (after {@link RawClient.open}: since the end of the 101 head). */
  bytesReceived = 0;
  readonly #closedPromise: Promise<void>;
  /** When false, incoming bytes are not read (the socket is paused: the TCP window fills). */
  #reading = true;

  /** True when this object reads a client's frames (a fake server): they must be masked, not unmasked. */
  readonly peerMasks: boolean;

  constructor(socket: net.Socket, options: { peerMasks?: boolean } = {}) {
    this.socket = socket;
    this.peerMasks = options.peerMasks ?? false;
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', (err) => {
      this.errors.push(err);
      this.#wake();
    });
    this.#closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number, host = '127.0.0.1', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RawTimeoutError(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /**
   * Connects, sends a valid handshake (fields overridable) and reads the 101.
   * @throws when the answer is not 101 with the right accept key.
   */
  static async open(port: number, spec: HandshakeSpec = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawClient> {
    const client = await RawClient.connect(port);
    const key = spec.key ?? newKey();
    await client.write(handshakeRequest({ ...spec, key }, port));
    const head = await client.readHttpHead(timeoutMs);
    if (head.status !== 101) {
      client.destroy();
      throw new Error(`expected 101, got: ${head.statusLine}`);
    }
    if (head.headers['sec-websocket-accept'] !== acceptFor(key)) {
      client.destroy();
      throw new Error(`bad Sec-WebSocket-Accept: ${head.headers['sec-websocket-accept']}`);
    }
    // From here on, bytesReceived counts WebSocket bytes only.
    client.bytesReceived = client.buffered;
    return client;
  }

  /** Bytes received and not consumed yet. */
  get buffered(): number {
    return this.#buf.length;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Resolves on the next data/end/close/error event, or after `ms` (returns false on timeout). */
  #waitEvent(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.#waiters = this.#waiters.filter((f) => f !== done);
          resolve(false);
        },
        Math.max(0, ms),
      );
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.push(done);
    });
  }

  /** Writes bytes; resolves when flushed to the kernel (or rejects on socket error). Writes after close are ignored. */
  write(data: Uint8Array | string): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.write(data, () => resolve());
    });
  }

  /** Writes each buffer in its own write call (with a macrotask in between so TCP segments stay apart). */
  async writeChopped(data: Uint8Array, chunkSize = 1): Promise<void> {
    for (let i = 0; i < data.length; i += chunkSize) {
      if (this.closed) return;
      await this.write(data.subarray(i, i + chunkSize));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops reading from the socket (pauses it) so the kernel receive window fills. */
  stopReading(): void {
    this.#reading = false;
    this.socket.pause();
  }

  /** Resumes reading. */
  startReading(): void {
    this.#reading = true;
    this.socket.resume();
  }

  get reading(): boolean {
    return this.#reading;
  }

  async #need(n: number, deadline: number, what: string): Promise<void> {
    while (this.#buf.length < n) {
      if (this.ended || this.closed) {
        throw new RawTimeoutError(`${what}: connection ended with ${this.#buf.length}/${n} bytes buffered`);
      }
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitEvent(left))) {
        throw new RawTimeoutError(
          `${what}: timed out with ${this.#buf.length}/${n} bytes buffered: ${this.#buf.subarray(0, 64).toString('hex')}`,
        );
      }
    }
  }

  #take(n: number): Buffer {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Reads an HTTP response head (status line + headers, up to the blank line). */
  async readHttpHead(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpHead> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const raw = this.#take(end + 4).toString('latin1');
        const lines = raw.slice(0, -4).split('\r\n');
        const statusLine = lines[0] ?? '';
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const name = line.slice(0, i).trim().toLowerCase();
          const value = line.slice(i + 1).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
        }
        return { statusLine, status: m ? Number(m[1]) : 0, headers, raw };
      }
      if (this.ended || this.closed) {
        throw new RawTimeoutError(
          `HTTP head: connection ended; got ${JSON.stringify(this.#buf.toString('latin1').slice(0, 200))}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitEvent(left))) {
        throw new RawTimeoutError(
          `HTTP head: timed out; got ${JSON.stringify(this.#buf.toString('latin1').slice(0, 200))}`,
        );
      }
    }
  }

  /** Reads an HTTP head and then the body (Content-Length bytes, or what arrives until the socket ends). */
  async readHttpResponse(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpHead & { body: string }> {
    const deadline = Date.now() + timeoutMs;
    const head = await this.readHttpHead(timeoutMs);
    const len = Number(head.headers['content-length'] ?? 0);
    if (len > 0) await this.#need(len, deadline, 'HTTP body').catch(() => undefined);
    return { ...head, body: this.#take(Math.min(len, this.#buf.length)).toString('utf8') };
  }

  /** Reads one server frame. Fails on timeout. */
  async readFrame(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    await this.#need(2, deadline, 'frame header');
    const b0 = this.#buf[0]!;
    const b1 = this.#buf[1]!;
    let len = b1 & 0x7f;
    let off = 2;
    if (len === 126) {
      await this.#need(4, deadline, 'frame length16');
      len = this.#buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      await this.#need(10, deadline, 'frame length64');
      const big = this.#buf.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`server sent absurd length ${big}`);
      len = Number(big);
      off = 10;
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked) off += 4;
    await this.#need(off + len, deadline, `frame payload (${len} bytes)`);
    const all = this.#take(off + len);
    let payload: Buffer = Buffer.from(all.subarray(off));
    if (masked) payload = maskBytes(payload, all.subarray(off - 4, off));
    return {
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      opcode: b0 & 0x0f,
      masked,
      payload,
    };
  }

  /** Reads a complete data message (reassembling fragments, answering nothing). Control frames in between are returned in `controls`. */
  async readMessage(
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<{ opcode: number; data: Buffer; controls: ServerFrame[] }> {
    const deadline = Date.now() + timeoutMs;
    const parts: Buffer[] = [];
    const controls: ServerFrame[] = [];
    let opcode = -1;
    for (;;) {
      const f = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (f.opcode >= 0x8) {
        if (f.opcode === 0x8) throw new Error(`expected a message, got close ${describeClose(f.payload)}`);
        controls.push(f);
        continue;
      }
      if (opcode === -1) opcode = f.opcode;
      parts.push(f.payload);
      if (f.fin) return { opcode, data: Buffer.concat(parts), controls };
    }
  }

  /**
   * Reads frames until a Close frame arrives and returns its code (1005 if empty) and reason.
   * Fails if the socket ends first or on timeout.
   */
  async readClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    const deadline = Date.now() + timeoutMs;
    const before: ServerFrame[] = [];
    for (;;) {
      const f = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (f.opcode !== 0x8) {
        before.push(f);
        continue;
      }
      if (f.masked !== this.peerMasks) {
        throw new Error(
          this.peerMasks
            ? 'client sent an unmasked close frame (RFC 6455 §5.3)'
            : 'server sent a masked close frame (RFC 6455 §5.1 "A server MUST NOT mask")',
        );
      }
      if (f.payload.length === 0) return { code: 1005, reason: '', payloadLength: 0, before };
      if (f.payload.length === 1) throw new Error('server sent a close payload of 1 byte');
      return {
        code: f.payload.readUInt16BE(0),
        reason: f.payload.subarray(2).toString('utf8'),
        payloadLength: f.payload.length,
        before,
      };
    }
  }

  /** Waits until the peer ended the TCP connection (FIN) or it closed; false on timeout. */
  async waitEnd(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.#waitEvent(left))) return this.ended || this.closed;
    }
    return true;
  }

  /** Waits until the socket is fully closed; false on timeout. Replies to nothing. */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([this.#closedPromise.then(() => true), t]);
    clearTimeout(timer);
    return ok;
  }

  /**
   * Completes the close handshake from our side after the server's Close: echo a Close, end TCP,
   * and report whether the server closed the socket (it should: RFC 6455 §7.1.1 "server SHOULD initiate a TCP Close").
   */
  async finishClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<boolean> {
    await this.write(frames.close(1000));
    return this.waitEnd(timeoutMs);
  }

  /** Half-closes our side. */
  end(): void {
    this.socket.end();
  }

  /** Destroys the socket. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Resets the connection (RST instead of FIN). */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}

/** Renders a close payload for error messages. */
export function describeClose(payload: Buffer): string {
  if (payload.length < 2) return `(no code, ${payload.length} bytes)`;
  return `${payload.readUInt16BE(0)} ${JSON.stringify(payload.subarray(2).toString('utf8'))}`;
}

/**
 * Expects the server to fail the connection: a Close frame with `code` arrives (after any other frames),
 * every server frame is unmasked (RFC 6455 §5.1), and the TCP connection ends within the timeout.
 */
export async function expectClose(
  client: RawClient,
  code: number | readonly number[],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<CloseInfo> {
  const info = await client.readClose(timeoutMs);
  const codes = typeof code === 'number' ? [code] : code;
  if (!codes.includes(info.code)) {
    throw new Error(`expected close ${codes.join('|')}, got ${info.code} ${JSON.stringify(info.reason)}`);
  }
  if (info.reason.length > 123) throw new Error('close reason longer than 123 bytes');
  const ended = await client.waitEnd(timeoutMs);
  if (!ended) throw new Error(`server sent close ${info.code} but did not close TCP within ${timeoutMs} ms`);
  client.destroy();
  return info;
}

/** Expects an HTTP status (no 101) and the socket closed by the server. */
export async function expectHttpStatus(
  client: RawClient,
  status: number | readonly number[],
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<HttpHead> {
  const head = await client.readHttpHead(timeoutMs);
  const statuses = typeof status === 'number' ? [status] : status;
  if (!statuses.includes(head.status)) {
    throw new Error(`expected HTTP ${statuses.join('|')}, got ${JSON.stringify(head.statusLine)}`);
  }
  const ended = await client.waitEnd(timeoutMs);
  if (!ended) throw new Error(`server answered ${head.status} but left the socket open for ${timeoutMs} ms`);
  client.destroy();
  return head;
}

/** Sends a raw request and returns the HTTP head; the server must then close the socket. */
export async function rawRequest(
  port: number,
  request: string | Uint8Array,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<{ head: HttpHead; client: RawClient }> {
  const client = await RawClient.connect(port);
  await client.write(request);
  const head = await client.readHttpHead(timeoutMs);
  return { head, client };
}
