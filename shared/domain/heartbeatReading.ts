/**
 * What one run of the configured heartbeat query produced. Failures are values: the monitor
 * classifies them, it does not throw.
 */
export type HeartbeatReading = HeartbeatRow | HeartbeatReadFailure;

export interface HeartbeatRow {
  readonly kind: 'row';
  /** Machine name of the lock owner; null or empty when the lock was released. */
  readonly owner: string | null;
  /** Last heartbeat written by the owning service, UTC; null when never written. */
  readonly heartbeatUtc: Date | null;
  /** The database's own current UTC time, read in the same query. */
  readonly dbNowUtc: Date;
}

export type HeartbeatFailureCode =
  | 'UNREACHABLE'
  | 'LOGIN_FAILED'
  | 'TIMEOUT'
  | 'QUERY_FAILED'
  | 'QUERY_SHAPE'
  | 'NO_ROW';

export interface HeartbeatReadFailure {
  readonly kind: 'failed';
  readonly code: HeartbeatFailureCode;
  /** Safe to show to people: never contains a password or connection string. */
  readonly message: string;
}

/** The columns the configured heartbeat query must return (see README, "Heartbeat query"). */
export const HEARTBEAT_COLUMNS = ['owner', 'heartbeatUtc', 'dbNowUtc'] as const;
