/** Names of the watchdog's state records (blobs `<key>.json` in the state container). */
export const stateKeys = {
  heartbeat: (pairId: string): string => `pairs/${pairId}/heartbeat-monitor`,
  backup: (pairId: string): string => `pairs/${pairId}/backup-monitor`,
} as const;
