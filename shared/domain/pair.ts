import type { FailoverSettings } from './runbookSettings';

/** The parts of a pair's configuration that domain rules read. Adapters get the full config. */
export type Strategy = 'shared' | 'copied';

export interface HostRef {
  /** Windows computer name, as adTempus records the lock owner. */
  readonly hostName: string;
  /** adTempus MachineID registry value (the same on both hosts of a pair). */
  readonly machineId: string;
}

export interface MonitorPolicy {
  /** A heartbeat older than this is stale; adTempus's own takeover delay (default 300 s). */
  readonly staleThresholdSeconds: number;
  /** Consecutive stale (or unreachable) checks before the condition is confirmed. */
  readonly consecutiveStaleChecks: number;
  readonly automaticFailover: boolean;
}

export interface BackupPolicy {
  /** Data loss budget: a failover now would lose everything after the newest backup. */
  readonly rpoBudgetMinutes: number;
  /** How often the Primary is expected to produce a backup. */
  readonly expectedIntervalMinutes: number;
  /** A backup smaller than the previous one by more than this percentage is suspect. */
  readonly maxShrinkPercent: number;
}

export interface PairDefinition {
  readonly id: string;
  readonly instanceName: string;
  readonly strategy: Strategy;
  readonly primary: HostRef;
  readonly secondary: HostRef;
  readonly policy: MonitorPolicy;
  readonly backup: BackupPolicy & { readonly container: string; readonly prefix: string };
  /** Failover decision and runbook settings; absent means DEFAULT_FAILOVER_SETTINGS. */
  readonly failover?: FailoverSettings;
}

/** Host names compare case-insensitively and without a DNS suffix (SERVER01 = server01.corp.local). */
export function sameHost(a: string, b: string): boolean {
  const shortName = (name: string): string => name.trim().split('.')[0]!.toLowerCase();
  return shortName(a) === shortName(b);
}
