// HTTP transports: the sessions this node holds over SSE and long polling, by id: open, find, send, poll, end.
import type http from 'node:http';
import { RfcCloseCode } from '../../messages/index.ts';
import type { Identity, RealtimeServer, Session } from '../../realtime/index.ts';
import { errorAnswer, HttpTransportError, type RawAnswer } from './answers.ts';
import type { HttpTransportSettings } from './options.ts';
import { PollTransport, type PollWaiter } from './poll-transport.ts';
import { newSessionId, sameSecret, type SessionIdParts } from './session-ids.ts';
import { SseTransport } from './sse-transport.ts';

/** A connection slot taken under the `/ws` caps (`WebSocketServer#reserveConnection`); `release` is idempotent. */
type ConnectionSlot = { release(): void };

/** The kinds of HTTP session, as the `transport` label of the metrics names them. */
export type HttpSessionKind = 'sse' | 'poll';

/** Who a request inside a session is, by its credential: the user id, or null for a request with none. */
export type Requester = string | null;

interface Entry {
  /** The session id's secret text (its key). */
  readonly secret: string;
  readonly kind: HttpSessionKind;
  readonly session: Session;
  readonly poll: PollTransport | null;
}

/**
 * The HTTP sessions held by this node. Each holds a connection slot of the hub (the caps of `/ws`) from its start to
 * its end, so idle streams or abandoned polling sessions from one address are bounded like WebSockets.
 */
export class HttpSessions {
  readonly #hub: RealtimeServer;
  readonly #settings: HttpTransportSettings;
  readonly #entries = new Map<string, Entry>();
  readonly #counts: Record<HttpSessionKind, number> = { sse: 0, poll: 0 };

  /**
   * @param hub The real-time server the sessions run on.
   * @param settings Timings and bounds.
   */
  constructor(hub: RealtimeServer, settings: HttpTransportSettings) {
    this.#hub = hub;
    this.#settings = settings;
  }

  /** Open sessions by kind. */
  counts(): Readonly<Record<HttpSessionKind, number>> {
    return { ...this.#counts };
  }

  /**
   * Takes a connection slot for a new session.
   * @param address The client's address.
   * @returns null when taken, else the refusal to send.
   */
  reserve(address: string): { readonly slot: ConnectionSlot } | { readonly refused: RawAnswer } {
    const reserved = this.#hub.wss.reserveConnection(address);
    if (reserved.ok) return { slot: reserved };
    return {
      refused:
        reserved.cap === 'ip'
          ? errorAnswer(503, HttpTransportError.TOO_MANY_CONNECTIONS, 'Too many connections from this address', {
              'Retry-After': '5',
            })
          : errorAnswer(503, HttpTransportError.UNAVAILABLE, 'Too many connections', { 'Retry-After': '5' }),
    };
  }

  /**
   * Opens an event-stream session on a response (its slot already reserved).
   * @param res The response of `GET /http/stream`.
   * @param address The client's address.
   * @param identity The identity of the request's credential.
   * @param headers Headers to add (CORS).
   */
  openStream(
    res: http.ServerResponse,
    slot: ConnectionSlot,
    address: string,
    identity: Identity | null,
    headers: Readonly<Record<string, string>>,
  ): void {
    const id = newSessionId(this.#hub.nodeId);
    let session: Session | null = null;
    const transport = new SseTransport(res, {
      remoteAddress: address,
      sessionId: id.id,
      keepaliveMs: this.#settings.keepaliveMs,
      headers,
      ended: (code, reason, byPeer) => {
        this.#remove(id.key, slot);
        if (byPeer) session?.transportClosed(code, reason);
      },
    });
    session = this.#hub.openSession(transport, identity);
    if (!session.isClosed) this.#add(id, { secret: id.key, kind: 'sse', session, poll: null });
  }

  /**
   * Opens a long-polling session (its slot already reserved).
   * @param address The client's address.
   * @param identity The identity of the request's credential.
   * @returns The answer of `POST /http/poll`.
   */
  openPoll(slot: ConnectionSlot, address: string, identity: Identity | null): RawAnswer {
    const id = newSessionId(this.#hub.nodeId);
    let session: Session | null = null;
    let finished = false;
    const transport = new PollTransport(address, this.#settings, {
      expired: () => session?.transportClosed(1006, 'session timeout'),
      overflow: () => session?.disconnectSlow(),
      finished: () => {
        finished = true;
        this.#remove(id.key, slot);
      },
    });
    session = this.#hub.openSession(transport, identity);
    // A session closed at once (draining) is kept until its close is fetched, like any other.
    if (!finished) this.#add(id, { secret: id.key, kind: 'poll', session, poll: transport });
    return { status: 200, body: JSON.stringify({ session: id.id, seq: 0, messages: [] }) };
  }

  /**
   * Hands a POST's messages to a session of this node, in order, each as a WebSocket frame would be.
   * @param parts The session id.
   * @param requester The user of the request's credential.
   * @param messages The parsed JSON array.
   * @returns 204, or the refusal.
   */
  send(parts: SessionIdParts, requester: Requester, messages: readonly unknown[]): RawAnswer {
    const found = this.#lookup(parts, requester);
    if ('status' in found) return found;
    const session = found.session;
    for (const message of messages) {
      if (session.isClosed) break;
      session.receive(JSON.stringify(message));
    }
    return { status: 204, body: '' };
  }

  /**
   * A poll for a session of this node.
   * @param parts The session id.
   * @param requester The user of the request's credential.
   * @param ack The highest sequence number the client processed.
   * @param waiter Takes the answer, now or when messages come.
   */
  poll(parts: SessionIdParts, requester: Requester, ack: number, waiter: PollWaiter): void {
    const found = this.#lookup(parts, requester);
    if ('status' in found) {
      waiter.answer(found);
      return;
    }
    if (found.poll === null) {
      waiter.answer(errorAnswer(400, 'bad_request', 'The session is an event stream: poll only long-polling sessions'));
      return;
    }
    found.poll.poll(ack, waiter);
  }

  /**
   * The client ends a long-polling session of this node (`DELETE /http/poll`): the session closes as a WebSocket
   * closed by its client would (1000; presence leaves at once), a poll still held gets the close, the slot is freed.
   * @param parts The session id.
   * @param requester The user of the request's credential.
   * @returns 204, or the refusal.
   */
  end(parts: SessionIdParts, requester: Requester): RawAnswer {
    const found = this.#lookup(parts, requester);
    if ('status' in found) return found;
    if (found.poll === null) {
      return errorAnswer(400, 'bad_request', 'The session is an event stream: close the stream to end it');
    }
    found.session.transportClosed(RfcCloseCode.NORMAL, '');
    found.poll.end(RfcCloseCode.NORMAL);
    return { status: 204, body: '' };
  }

  /**
   * A waiter of {@link poll} whose client went away.
   * @param parts The session id.
   * @param waiter The waiter.
   */
  pollAborted(parts: SessionIdParts, waiter: PollWaiter): void {
    const entry = this.#entries.get(parts.key);
    if (entry !== undefined && sameSecret(entry.secret, parts.key)) entry.poll?.pollAborted(waiter);
  }

  /** Ends every polling session's held poll and timers (the server stops; the streams end with their responses). */
  close(): void {
    for (const entry of [...this.#entries.values()]) entry.poll?.dispose();
  }

  #lookup(parts: SessionIdParts, requester: Requester): Entry | RawAnswer {
    const entry = this.#entries.get(parts.key);
    if (entry === undefined || !sameSecret(entry.secret, parts.key)) {
      return errorAnswer(404, HttpTransportError.UNKNOWN_SESSION, 'No such session: it ended, or never existed');
    }
    const owner = entry.session.identity ?? entry.session.handshakeIdentity;
    if (owner === null || owner.anonymous || owner.user === requester) return entry;
    if (requester === null) {
      return errorAnswer(401, 'unauthorized', "A credential of the session's user is required", {
        'WWW-Authenticate': 'Bearer',
      });
    }
    return errorAnswer(403, 'forbidden', 'The session belongs to another user');
  }

  #add(id: SessionIdParts, entry: Entry): void {
    this.#entries.set(id.key, entry);
    this.#counts[entry.kind]++;
  }

  #remove(key: string, slot: ConnectionSlot): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#counts[entry.kind]--;
    }
    slot.release();
  }
}
