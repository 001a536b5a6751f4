/**
 * A heartbeat's age on the database's own clock, as the heartbeat monitor measures it (tenths of
 * a second); a heartbeat ahead of that clock counts as brand new, the safe side.
 */
export function databaseAgeSeconds(heartbeatUtc: Date | null, dbNowUtc: Date): number | undefined {
  if (heartbeatUtc === null) return undefined;
  return Math.max(0, Math.round((dbNowUtc.getTime() - heartbeatUtc.getTime()) / 100) / 10);
}
