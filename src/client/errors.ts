// Client SDK (Node-free): the error every failed client operation rejects with.

/**
 * A failed client operation: a server `error` (its stable `code`, docs/protocol.md §12) or a client-side condition:
 * `timeout`, `closed`, `protocol`, `outbox_full`, `dropped`, `circuit_open`, `overflow`, `unauthorized`.
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** The stable code. */
  readonly code: string;

  /**
   * @param code Stable code.
   * @param message Human-readable text.
   * @param options `cause`, chained.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
