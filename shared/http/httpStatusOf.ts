import { WatchdogError } from '../domain/errors';

/**
 * The one place that maps error codes to HTTP statuses. A code not listed is a fault (500):
 * only what the caller can change or must know about is a 4xx.
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  INVALID_REQUEST: 400,
  MALFORMED_JSON: 400,
  IDENTITY_REQUIRED: 403,
  TWO_PERSON_RULE: 403,
  UNKNOWN_PAIR: 404,
  UNKNOWN_FAILOVER: 404,
  FAILOVER_REFUSED: 409,
  FAILOVER_NOT_RUNNING: 409,
  NOT_AWAITING_APPROVAL: 409,
  NOT_CANCELLABLE: 409,
  NOTHING_TO_ACKNOWLEDGE: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // Another writer kept winning the same state record: trying again later will do.
  STATE_CONTENDED: 503,
};

export function httpStatusOf(error: unknown): number {
  return error instanceof WatchdogError ? (STATUS_BY_CODE[error.code] ?? 500) : 500;
}
