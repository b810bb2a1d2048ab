// Client SDK (Node-free): what a client says on its live connection, outside the outbox: requests and their answers
// (refused at once while not connected), RPC calls, and fire-and-forget messages (typing, document parts) that are
// dropped while not connected. The Client's public methods of the same names delegate here.
import { RPC_METHOD_NAME, type JsonValue, type ServerMessage, type SingleClientMessage } from '../messages/core.ts';
import type { ClientOptions } from './client-options.ts';
import type { ClientParts } from './client-parts.ts';
import type { DocumentKind } from './document-channel.ts';
import { ClientError } from './errors.ts';
import type { Request } from './requests.ts';
import type { TransportSocket } from './transport.ts';

/** How long a request waits for its answer when neither the call nor the options say: 10 s. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** `readyState` of an open socket (the WebSocket API's OPEN). */
const OPEN = 1;

/** The parts the live calls go through. */
export type LiveCallParts = Pick<ClientParts, 'connection' | 'requests' | 'wire'>;

/** Requests, RPC and fire-and-forget messages of one client. */
export class LiveCalls {
  readonly #parts: LiveCallParts;
  readonly #options: ClientOptions;

  /**
   * @param parts The client's connection, request tracker and wire.
   * @param options The client's options (`requestTimeoutMs`).
   */
  constructor(parts: LiveCallParts, options: ClientOptions) {
    this.#parts = parts;
    this.#options = options;
  }

  /** The default request deadline (`requestTimeoutMs`). */
  get requestTimeoutMs(): number {
    return this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** See {@link Client.request}. */
  request(message: Request, options: { readonly timeoutMs?: number } = {}): Promise<ServerMessage> {
    const socket = this.#parts.connection.socket;
    if (socket === null || socket.readyState !== OPEN)
      return Promise.reject(new ClientError('closed', 'Cannot send: not connected'));
    return this.#parts.requests.send(socket, message, options.timeoutMs ?? this.requestTimeoutMs);
  }

  /**
   * Sends a request whose answer is a `reply`.
   * @returns The reply's data.
   * @throws {ClientError} `protocol` for another kind of answer, or what {@link request} throws.
   */
  async reply(message: Request): Promise<JsonValue | undefined> {
    const answer = await this.request(message);
    if (answer.type !== 'reply')
      throw new ClientError('protocol', `Unexpected "${answer.type}" answer to ${message.type}`);
    return answer.data;
  }

  /** See {@link Client.rpc}. */
  async rpc(
    method: string,
    data: JsonValue | undefined,
    options: { readonly timeoutMs?: number },
  ): Promise<JsonValue | undefined> {
    if (typeof method !== 'string' || !RPC_METHOD_NAME.test(method))
      throw new ClientError('invalid_message', 'Cannot call: the method name must be 1-64 of A-Z a-z 0-9 _ . : -');
    const answer = await this.request({ type: 'rpc', method, ...(data === undefined ? {} : { data }) }, options);
    if (answer.type !== 'reply') throw new ClientError('protocol', `Unexpected "${answer.type}" answer to rpc`);
    return answer.data;
  }

  /**
   * Sends a message now, fire and forget: nothing when not connected or the socket is closing.
   * @returns Whether it was handed to the socket.
   */
  sendNow(message: SingleClientMessage): boolean {
    const socket = this.#open();
    return socket !== null && this.#send(socket, message);
  }

  /**
   * Sends one `doc` message of a document channel, with a fresh `rid`; see {@link DocumentChannel.send}.
   * @returns The `rid`, or null when not sent (the provider's state-vector exchange after the reconnect sends it again).
   */
  sendDocument(channel: string, kind: DocumentKind, data: string, more: boolean): number | null {
    const socket = this.#open();
    if (socket === null) return null;
    const rid = this.#parts.requests.nextRid();
    // `quiet`: the rid is for the server's refusals only; a reply to every keystroke would be a frame each way for
    // nothing (docs/protocol.md, `doc`).
    const message = more
      ? ({ type: 'doc', rid, channel, kind, data, more: true, quiet: true } as const)
      : ({ type: 'doc', rid, channel, kind, data, quiet: true } as const);
    return this.#send(socket, message) ? rid : null;
  }

  /** The socket while connected and open, else null. */
  #open(): TransportSocket | null {
    const socket = this.#parts.connection.connection;
    return socket === null || socket.readyState !== OPEN ? null : socket;
  }

  #send(socket: TransportSocket, message: SingleClientMessage): boolean {
    try {
      socket.send(this.#parts.wire.encode(message));
      return true;
    } catch {
      return false; // closing: what is sent here is ephemeral, or sent again after the reconnect
    }
  }
}
