import pLimit from 'p-limit';
import type { FenceRecord } from '../contracts/fenceRecord';
import { failoverInstanceId } from '../contracts/failoverContract';
import { activeCoolDown, primaryHeartbeatAgeSeconds } from '../domain/approvalGate';
import type { BackupAssessment, BackupSummary } from '../domain/backupAssessment';
import { WatchdogError } from '../domain/errors';
import type { HeartbeatAssessment } from '../domain/heartbeatAssessment';
import { sameHost, type PairDefinition } from '../domain/pair';
import { maintenanceActive, type PairControl } from '../domain/pairControl';
import { DEFAULT_FAILOVER_SETTINGS, type FailoverSettings } from '../domain/runbookSettings';
import { isRunning, type OrchestrationClient, type OrchestrationInstance } from '../ports/orchestrationClient.port';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import type { BackupRecordState } from './backupMonitor';
import { findPair, readFence, readPairControl } from './failoverFacts';
import { failoverSummary, type FailoverSummary } from './failoverInstanceView';
import type { HeartbeatRecord } from './heartbeatMonitor';
import { stateKeys } from './stateKeys';

/**
 * What the watchdog knows about each pair, for people: the monitors' newest assessments, who is
 * active at which epoch, maintenance and cool-down, and the pair's failover. Each part is read on
 * its own, so one unreadable record shows as that part's error instead of hiding the rest.
 */
export interface PairViewDeps {
  readonly pairs: readonly PairDefinition[];
  readonly state: StateStore;
  readonly orchestrations: OrchestrationClient;
  readonly clock: () => Date;
  readonly maxConcurrency: number;
  readonly logger: Logger;
}

export interface PartError {
  readonly error: { readonly code: string; readonly message: string };
}

/** A part of the view, or why it could not be read. */
export type Part<T> = T | PartError;

export interface HeartbeatSummary {
  readonly state: HeartbeatAssessment['state'];
  readonly since: string;
  readonly checkedAt: string;
  readonly observed: HeartbeatAssessment['observed'];
  readonly observedCount: number;
  readonly requiredChecks: number;
  /** Seconds since the monitor's check (the watchdog's clock). */
  readonly checkAgeSeconds: number;
  /** The owner's heartbeat age at the check, on the database clock. */
  readonly heartbeatAgeSeconds?: number;
  /** The Primary's heartbeat age now (the safe estimate the failover decision uses). */
  readonly primaryHeartbeatAgeSeconds?: number;
  readonly primaryDown: HeartbeatAssessment['primaryDown'];
}

export interface BackupView {
  readonly state: BackupAssessment['state'];
  readonly checkedAt: string;
  readonly newest?: BackupSummary & { readonly ageSeconds: number };
  readonly newestValid?: BackupSummary & { readonly ageSeconds: number };
  readonly overdue: boolean;
  readonly nextExpectedAt?: string;
  readonly problems: readonly string[];
}

export interface ActiveSide {
  readonly side: 'primary' | 'secondary' | 'other';
  readonly host: string;
  readonly epoch: number;
  /** False: no fence record yet, so the Primary is active at epoch 0. */
  readonly fenceRecord: boolean;
  readonly updatedAt?: string;
  readonly reason?: string;
}

export interface MaintenanceView {
  readonly active: boolean;
  readonly by?: string;
  readonly reason?: string;
  readonly since?: string;
  readonly until?: string;
}

export interface PairSummary {
  readonly id: string;
  readonly strategy: PairDefinition['strategy'];
  readonly hosts: { readonly primary: string; readonly secondary: string };
  /** Null until the heartbeat monitor has checked the pair. */
  readonly heartbeat: Part<HeartbeatSummary> | null;
  /** Null until the backup monitor has checked the pair. */
  readonly backup: Part<BackupView> | null;
  readonly active: Part<ActiveSide>;
  readonly maintenance: Part<MaintenanceView>;
  /** The failover running now, or null. */
  readonly failover: Part<FailoverSummary> | null;
  /** The monitor's newest failover decision, when its record keeps one. */
  readonly lastDecision?: HeartbeatRecord['decision'];
}

export interface PairDetail extends Omit<PairSummary, 'failover'> {
  readonly instanceName: string;
  readonly policy: PairDefinition['policy'];
  readonly failoverSettings: FailoverSettings;
  /** The full assessment with the agents' view and the evidence. */
  readonly heartbeatAssessment: Part<HeartbeatAssessment> | null;
  readonly backupAssessment: Part<BackupAssessment> | null;
  readonly control: Part<ControlView>;
  /** The pair's failover instance, running or finished, or null when there never was one. */
  readonly failover: Part<FailoverSummary> | null;
}

export interface ControlView {
  readonly restartsInPlace: readonly string[];
  readonly lastFailover?: PairControl['lastFailover'];
  readonly lastAutomaticTrigger?: PairControl['lastAutomaticTrigger'];
  readonly coolDown: { readonly active: boolean; readonly until?: string; readonly detail?: string };
}

export async function listPairSummaries(deps: PairViewDeps): Promise<PairSummary[]> {
  const limit = pLimit(deps.maxConcurrency);
  return Promise.all(
    deps.pairs.map((pair) =>
      limit(async () => {
        const parts = await readPair(deps, pair);
        return { ...summaryOf(pair, parts), failover: viewOf(parts.failover, (i) => (i && isRunning(i.runtimeStatus) ? failoverSummary(i) : null)) };
      }),
    ),
  );
}

export async function describePair(deps: PairViewDeps, pairId: string): Promise<PairDetail> {
  const pair = findPair(deps.pairs, pairId);
  const parts = await readPair(deps, pair);
  const now = deps.clock();
  const settings = pair.failover ?? DEFAULT_FAILOVER_SETTINGS;
  return {
    ...summaryOf(pair, parts),
    instanceName: pair.instanceName,
    policy: pair.policy,
    failoverSettings: settings,
    heartbeatAssessment: viewOf(parts.heartbeat, (r) => r?.assessment ?? null),
    backupAssessment: viewOf(parts.backup, (r) => r?.assessment ?? null),
    control: viewOf(parts.control, (c) => controlView(c, settings, now)),
    failover: viewOf(parts.failover, (i) => (i ? failoverSummary(i) : null)),
  };
}

/** One read of a part: its value, or the error to show in its place. */
type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PartError };

interface PairParts {
  readonly now: Date;
  readonly heartbeat: Read<HeartbeatRecord | undefined>;
  readonly backup: Read<BackupRecordState | undefined>;
  readonly fence: Read<FenceRecord | undefined>;
  readonly control: Read<PairControl | undefined>;
  readonly failover: Read<OrchestrationInstance | undefined>;
}

async function readPair(deps: PairViewDeps, pair: PairDefinition): Promise<PairParts> {
  const settle = async <T>(part: string, read: Promise<T>): Promise<Read<T>> => {
    try {
      return { ok: true, value: await read };
    } catch (error) {
      deps.logger.error('pair view: a part could not be read', { pair: pair.id, part, error: error instanceof Error ? error.message : String(error) });
      // WatchdogError messages are safe by contract; anything else is only logged.
      const shown = error instanceof WatchdogError ? { code: error.code, message: error.message } : { code: 'READ_FAILED', message: `the ${part} could not be read; see the log` };
      return { ok: false, error: { error: shown } };
    }
  };
  const [heartbeat, backup, fence, control, failover] = await Promise.all([
    settle('heartbeat record', deps.state.read<HeartbeatRecord>(stateKeys.heartbeat(pair.id)).then((r) => r?.value)),
    settle('backup record', deps.state.read<BackupRecordState>(stateKeys.backup(pair.id)).then((r) => r?.value)),
    settle('fence record', readFence(deps.state, pair.id)),
    settle('control record', readPairControl(deps.state, pair.id)),
    settle('failover status', deps.orchestrations.getStatus(failoverInstanceId(pair.id))),
  ]);
  return { now: deps.clock(), heartbeat, backup, fence, control, failover };
}

function summaryOf(pair: PairDefinition, parts: PairParts): Omit<PairSummary, 'failover'> {
  const { now } = parts;
  const decision = parts.heartbeat.ok ? lastDecisionOf(parts.heartbeat.value) : undefined;
  return {
    id: pair.id,
    strategy: pair.strategy,
    hosts: { primary: pair.primary.hostName, secondary: pair.secondary.hostName },
    heartbeat: viewOf(parts.heartbeat, (r) => (r ? heartbeatSummary(r.assessment, now) : null)),
    backup: viewOf(parts.backup, (r) => (r ? backupView(r.assessment, now) : null)),
    active: viewOf(parts.fence, (f) => activeSide(pair, f)),
    maintenance: viewOf(parts.control, (c) => maintenanceView(c, now)),
    ...(decision !== undefined ? { lastDecision: decision } : {}),
  };
}

function heartbeatSummary(a: HeartbeatAssessment, now: Date): HeartbeatSummary {
  const primaryAge = primaryHeartbeatAgeSeconds(a, now);
  return {
    state: a.state,
    since: a.since,
    checkedAt: a.checkedAt,
    observed: a.observed,
    observedCount: a.observedCount,
    requiredChecks: a.requiredChecks,
    checkAgeSeconds: secondsBetween(a.checkedAt, now),
    ...(a.heartbeatAgeSeconds !== undefined ? { heartbeatAgeSeconds: a.heartbeatAgeSeconds } : {}),
    ...(primaryAge !== undefined ? { primaryHeartbeatAgeSeconds: Math.round(primaryAge) } : {}),
    primaryDown: a.primaryDown,
  };
}

function backupView(a: BackupAssessment, now: Date): BackupView {
  const aged = (b: BackupSummary): BackupSummary & { ageSeconds: number } => ({ ...b, ageSeconds: secondsBetween(b.takenAt, now) });
  return {
    state: a.state,
    checkedAt: a.checkedAt,
    ...(a.newest ? { newest: aged(a.newest) } : {}),
    ...(a.newestValid ? { newestValid: aged(a.newestValid) } : {}),
    overdue: a.overdue,
    ...(a.nextExpectedAt ? { nextExpectedAt: a.nextExpectedAt } : {}),
    problems: a.problems,
  };
}

function activeSide(pair: PairDefinition, fence: FenceRecord | undefined): ActiveSide {
  const host = fence?.activeHost ?? pair.primary.hostName;
  const side = sameHost(host, pair.primary.hostName) ? 'primary' : sameHost(host, pair.secondary.hostName) ? 'secondary' : 'other';
  return { side, host, epoch: fence?.epoch ?? 0, fenceRecord: fence !== undefined, ...(fence ? { updatedAt: fence.updatedAt, reason: fence.reason } : {}) };
}

function maintenanceView(control: PairControl | undefined, now: Date): MaintenanceView {
  const m = control?.maintenance;
  if (!m) return { active: false };
  return { active: maintenanceActive(control, now), by: m.by, reason: m.reason, since: m.since, ...(m.until !== undefined ? { until: m.until } : {}) };
}

function controlView(control: PairControl | undefined, settings: FailoverSettings, now: Date): ControlView {
  const last = control?.lastFailover;
  const detail = last ? activeCoolDown({ at: last.completedAt, acknowledged: last.acknowledgedAt !== undefined }, settings.coolDownSeconds, now) : undefined;
  const until = last && detail !== undefined ? new Date(Date.parse(last.completedAt) + settings.coolDownSeconds * 1000) : undefined;
  return {
    restartsInPlace: control?.restartsInPlace ?? [],
    ...(last ? { lastFailover: last } : {}),
    ...(control?.lastAutomaticTrigger ? { lastAutomaticTrigger: control.lastAutomaticTrigger } : {}),
    coolDown: detail === undefined ? { active: false } : { active: true, ...(until && !Number.isNaN(until.getTime()) ? { until: until.toISOString() } : {}), detail },
  };
}

/** The monitor's newest failover decision, as its record keeps it (absent in older records). */
function lastDecisionOf(record: HeartbeatRecord | undefined): HeartbeatRecord['decision'] {
  return record?.decision;
}

function secondsBetween(iso: string, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
}

function viewOf<T, U>(read: Read<T>, f: (value: T) => U): U | PartError {
  return read.ok ? f(read.value) : read.error;
}
