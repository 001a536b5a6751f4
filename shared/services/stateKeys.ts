/** Names of the watchdog's state records (blobs `<key>.json` in the state container). */
export const stateKeys = {
  heartbeat: (pairId: string): string => `pairs/${pairId}/heartbeat-monitor`,
  backup: (pairId: string): string => `pairs/${pairId}/backup-monitor`,
  /** PairControl: maintenance, restarts in place, last failover, last automatic trigger. */
  control: (pairId: string): string => `pairs/${pairId}/control`,
  /** FailoverResult of one finished failover, kept as the audit record. */
  failoverAudit: (pairId: string, instanceId: string, startedAt: string): string => `pairs/${pairId}/failovers/${startedAt.replace(/[:.]/g, '')}-${instanceId}`,
  /** InboxRejection: an inbox message the watchdog could not use, kept for people; `day` is YYYY-MM-DD, `id` key-safe segments. */
  inboxRejection: (day: string, id: string): string => `inbox/rejected/${day}/${id}`,
} as const;
