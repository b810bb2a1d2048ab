// Broker: the error a broker operation rejects with, carrying a stable code the real-time layer maps to the wire.

/** Stable codes of {@link BrokerError}. Realtime answers all of them with the `broker_unavailable` error code. */
export type BrokerErrorCode =
  /** The broker was closed. */
  | 'BROKER_CLOSED'
  /** The backing store is unreachable or refused the operation. */
  | 'BROKER_UNAVAILABLE'
  /** The backing store did not answer in time; the operation may or may not have happened (retry with the same idempotency key). */
  | 'BROKER_TIMEOUT';

/** Every {@link BrokerErrorCode}, for documentation checks. */
export const BROKER_ERROR_CODES: readonly BrokerErrorCode[] = ['BROKER_CLOSED', 'BROKER_UNAVAILABLE', 'BROKER_TIMEOUT'];

/** Options of {@link BrokerError}. */
export interface BrokerErrorInit extends ErrorOptions {
  readonly code: BrokerErrorCode;
}

/**
 * A broker operation failed for a reason outside the caller's control.
 *
 * @example
 * new BrokerError('Cannot publish: broker is closed', { code: 'BROKER_CLOSED' });
 */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: BrokerErrorCode;
  constructor(message: string, init: BrokerErrorInit) {
    super(message, init);
    this.code = init.code;
  }
}
