import type { IRecordSet, IResult } from 'mssql';
import { HEARTBEAT_COLUMNS, type HeartbeatReadFailure, type HeartbeatReading } from '../../domain/heartbeatReading';

/**
 * Checks what the configured heartbeat query returned against the documented shape: the first
 * result set's first row, with columns owner, heartbeatUtc and dbNowUtc (names in any case).
 */
export function toHeartbeatReading(result: IResult<Record<string, unknown>>, instance: string): HeartbeatReading {
  // Undefined when the query produced no result set at all, whatever the typings say.
  const recordset: IRecordSet<Record<string, unknown>> | undefined = result.recordset;
  if (recordset === undefined) return shape(`heartbeat query returned no result set; expected columns ${HEARTBEAT_COLUMNS.join(', ')}`);
  const names = Object.values(recordset.columns)
    .sort((a, b) => a.index - b.index)
    .map((c) => c.name);
  const actual = new Map<string, string>();
  for (const name of names) if (!actual.has(name.toLowerCase())) actual.set(name.toLowerCase(), name);
  if (HEARTBEAT_COLUMNS.some((c) => !actual.has(c.toLowerCase()))) {
    return shape(`heartbeat query returned columns [${names.join(', ')}]; expected ${HEARTBEAT_COLUMNS.join(', ')}`);
  }
  const row = recordset[0];
  if (row === undefined) return { kind: 'failed', code: 'NO_ROW', message: `heartbeat query returned no row for instance "${instance}"` };
  const value = (column: (typeof HEARTBEAT_COLUMNS)[number]): unknown => row[actual.get(column.toLowerCase()) ?? column];

  const owner = value('owner');
  const heartbeatUtc = value('heartbeatUtc');
  const dbNowUtc = value('dbNowUtc');
  if (owner !== null && typeof owner !== 'string') return shape(`heartbeat query returned owner as ${kindOf(owner)}; expected text or null`);
  if (heartbeatUtc !== null && !isDate(heartbeatUtc)) return shape(`heartbeat query returned heartbeatUtc as ${kindOf(heartbeatUtc)}; expected a date or null`);
  if (!isDate(dbNowUtc)) return shape(`heartbeat query returned dbNowUtc as ${kindOf(dbNowUtc)}; expected a date`);
  return { kind: 'row', owner, heartbeatUtc, dbNowUtc };
}

function shape(message: string): HeartbeatReadFailure {
  return { kind: 'failed', code: 'QUERY_SHAPE', message };
}

function isDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** Names the kind of value, never the value itself. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'an invalid date';
  if (Array.isArray(value)) return 'several columns of the same name';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
