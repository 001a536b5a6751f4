import type { FenceRecord } from '../contracts/fenceRecord';
import type { AgentAssessment } from './agentLiveness';
import { approvalGate, primaryConfirmedStopped, primaryHeartbeatAgeSeconds, type ApprovalGate, type PreviousFailover } from './approvalGate';
import type { BackupAssessment } from './backupAssessment';
import { formatSeconds, type HeartbeatAssessment } from './heartbeatAssessment';
import { sameHost, type PairDefinition } from './pair';
import { restartBudget, stoppedOnItsOwn } from './restartInPlace';
import { DEFAULT_FAILOVER_POLICY_SETTINGS, type FailoverPolicySettings } from './runbookSettings';

export { DEFAULT_FAILOVER_POLICY_SETTINGS, failoverPolicySettingsSchema, type FailoverPolicySettings } from './runbookSettings';


/** A person's request for a failover (HTTP API). */
export interface FailoverRequest {
  /** The requester's identity as recorded (Entra name or the key's label). */
  readonly requestedBy: string;
  readonly reason: string;
}

export interface FailoverDecisionInput {
  readonly pair: PairDefinition;
  /** The heartbeat monitor's newest assessment, with the agents' reports. */
  readonly heartbeat: HeartbeatAssessment;
  /** The newest backup assessment; read for copied pairs only. */
  readonly backup?: BackupAssessment;
  readonly maintenance: boolean;
  readonly previousFailover?: PreviousFailover;
  /** Times of the restarts in place the watchdog ordered for the Primary's service (ISO 8601). */
  readonly restartsInPlace: readonly string[];
  /** The pair's fence record; when it names the Secondary, a failover already happened. */
  readonly fence?: FenceRecord;
  /** Present when a person asked for the failover; absent for the monitor's own decision. */
  readonly request?: FailoverRequest;
  /** Missing values take DEFAULT_FAILOVER_POLICY_SETTINGS. */
  readonly settings?: Partial<FailoverPolicySettings>;
  readonly now: Date;
}

export type FailoverAction = 'none' | 'restart-in-place' | 'failover' | 'alert';

/** Nothing to do: the Primary is fine, the condition is not confirmed yet, or action is suppressed. */
export type NoActionReason = 'MAINTENANCE' | 'ALREADY_FAILED_OVER' | 'PRIMARY_HEALTHY' | 'PENDING_CONFIRMATION';
/** No automatic action is safe or useful: a person must look. */
export type AlertReason =
  | 'WAITING_FOR_TAKEOVER_DELAY'
  | 'SHARED_DATABASE_UNREACHABLE'
  | 'UNREACHABLE_NOT_CORROBORATED'
  | 'PRIMARY_HOST_ALIVE'
  | 'PRIMARY_STOP_ORDERED'
  | 'LOCK_RELEASED'
  | 'SECONDARY_ACTIVE'
  | 'UNKNOWN_OWNER';
export type FailoverReason = 'RESTARTS_EXHAUSTED' | 'PRIMARY_HOST_LOST' | 'PRIMARY_HOST_UNREACHABLE' | 'REQUESTED';
export type DecisionReason = NoActionReason | AlertReason | 'SERVICE_STOPPED_ON_ITS_OWN' | FailoverReason;

interface DecisionBase {
  /** Why, in lines a notification can quote (no secrets). */
  readonly evidence: readonly string[];
}

export type FailoverDecision =
  | (DecisionBase & { readonly action: 'none'; readonly reason: NoActionReason })
  | (DecisionBase & { readonly action: 'alert'; readonly reason: AlertReason })
  | (DecisionBase & {
      readonly action: 'restart-in-place';
      readonly reason: 'SERVICE_STOPPED_ON_ITS_OWN';
      /** This restart's number in the window (1-based) and the bound. */
      readonly restart: { readonly attempt: number; readonly max: number; readonly windowSeconds: number };
    })
  | (DecisionBase & {
      readonly action: 'failover';
      readonly reason: FailoverReason;
      readonly trigger: 'automatic' | 'requested';
      readonly requestedBy?: string;
      /**
       * True when no gate reason holds: the runbook may run from open to close without a person.
       * The monitor starts the orchestration for every 'failover'; when false, it waits at the gate.
       */
      readonly startsAutomatically: boolean;
      readonly gate: ApprovalGate;
    });

/**
 * Decides what the watchdog does about a pair now. Pure: everything, the time included, comes in.
 * Fail closed: whatever the evidence cannot show stays the safe way (no failover, or a person).
 */
export function decideFailover(input: FailoverDecisionInput): FailoverDecision {
  const { pair, heartbeat, now } = input;
  const settings: FailoverPolicySettings = { ...DEFAULT_FAILOVER_POLICY_SETTINGS, ...input.settings };
  const primary = heartbeat.agents?.primary;
  const facts = [heartbeatLine(input), agentLine(pair, heartbeat, primary)];

  const failedOver = alreadyFailedOver(pair, primary, input.fence);
  if (failedOver) return { action: 'none', reason: 'ALREADY_FAILED_OVER', evidence: [failedOver, ...facts] };
  if (input.request) return decideRequested(input, settings, input.request, facts);
  if (input.maintenance) {
    return { action: 'none', reason: 'MAINTENANCE', evidence: ['maintenance mode is on: the watchdog takes no automatic action (alerts still flow)', ...facts] };
  }

  switch (heartbeat.state) {
    case 'released':
      return alert('LOCK_RELEASED', "the lock is released: adTempus was stopped cleanly, by a person or a planned shutdown; the watchdog does not overrule that", facts);
    case 'secondary-active':
      return alert('SECONDARY_ACTIVE', 'the Secondary owns the lock but no failover is recorded: it was started outside the watchdog; make sure the Primary stays stopped', facts);
    case 'unknown-owner':
      return alert('UNKNOWN_OWNER', `a machine that is neither ${pair.primary.hostName} nor ${pair.secondary.hostName} owns the lock: starting the Secondary would make a second owner`, facts);
    default:
      break;
  }

  if (stoppedOnItsOwn(primary)) {
    const budget = restartBudget(input.restartsInPlace, settings.maxRestartsInPlace, settings.restartWindowSeconds, now);
    const used = `restarts in place: ${budget.used} of ${budget.max} in the last ${formatSeconds(budget.windowSeconds)}`;
    if (budget.remaining > 0) {
      return {
        action: 'restart-in-place',
        reason: 'SERVICE_STOPPED_ON_ITS_OWN',
        restart: { attempt: budget.used + 1, max: budget.max, windowSeconds: budget.windowSeconds },
        evidence: ["the Primary's service stopped on its own while its host and agent live: restart it in place", used, ...facts],
      };
    }
    const exhausted = [`${used}: the restarts are used up`, ...facts];
    if (heartbeat.state === 'unreachable' && pair.strategy === 'shared') return sharedUnreachable(exhausted);
    return failoverConfirmedStopped(input, settings, exhausted);
  }

  // Two independent signals confirm each other: this check read the Primary's heartbeat already
  // older than the takeover delay, and the Primary's agent has gone silent. Further stale checks
  // (the hysteresis against one odd reading) would add only delay to a lost host's detection.
  const pendingStale = heartbeat.observed === 'stale' && !heartbeat.primaryDown.suspected && ['healthy', 'stale', 'unreachable'].includes(heartbeat.state);
  if (pendingStale && primary !== undefined && !primary.alive) {
    return failoverOnceOlder(input, settings, 'PRIMARY_HOST_LOST', [
      `the Primary's agent is silent and this check read its database heartbeat stale: the two signals confirm each other, the Primary host may be lost`,
      ...facts,
    ]);
  }
  if (heartbeat.state === 'healthy') return { action: 'none', reason: 'PRIMARY_HEALTHY', evidence: ["the Primary's heartbeat is fresh", ...facts] };
  if (heartbeat.state === 'unreachable' && pair.strategy === 'shared') return sharedUnreachable(facts);
  if (!heartbeat.primaryDown.suspected) {
    return {
      action: 'none',
      reason: 'PENDING_CONFIRMATION',
      evidence: [`the ${heartbeat.state} condition is not confirmed yet (${heartbeat.observedCount} of ${heartbeat.requiredChecks} checks)`, ...facts],
    };
  }
  if (primary?.alive) {
    if (primary.serviceState === 'stopped' && primary.stopOrdered) {
      return alert('PRIMARY_STOP_ORDERED', "a stop of the Primary's service was ordered: a deliberate stop is not a failure", facts);
    }
    return alert('PRIMARY_HOST_ALIVE', `the Primary's agent is alive and reports the service ${primary.serviceState}: a hung service or a database problem, not a lost host`, facts);
  }
  if (heartbeat.state === 'stale') {
    const silence = primary ? `the Primary's agent is silent` : 'no report from the Primary agent';
    return failoverOnceOlder(input, settings, 'PRIMARY_HOST_LOST', [`${silence} and the database heartbeat is stale: the Primary host may be lost`, ...facts]);
  }
  // Copied database, unreachable: only the Primary agent's silence for the takeover delay corroborates it.
  const threshold = pair.policy.staleThresholdSeconds;
  if (primary === undefined) {
    return alert('UNREACHABLE_NOT_CORROBORATED', "the Primary's database is unreachable and its agent was never heard from: nothing corroborates that the Primary is down", facts);
  }
  if (primary.silentForSeconds < threshold) {
    return alert('WAITING_FOR_TAKEOVER_DELAY', `the Primary's database is unreachable and its agent silent for ${formatSeconds(primary.silentForSeconds)}: a failover waits until the silence reaches the takeover delay of ${formatSeconds(threshold)}`, facts);
  }
  return failoverOnceOlder(input, settings, 'PRIMARY_HOST_UNREACHABLE', [
    `the Primary's database is unreachable and its agent silent for at least the takeover delay of ${formatSeconds(threshold)}`,
    ...facts,
  ]);
}

function decideRequested(input: FailoverDecisionInput, settings: FailoverPolicySettings, request: FailoverRequest, facts: string[]): FailoverDecision {
  if (input.heartbeat.state === 'secondary-active') {
    return alert('SECONDARY_ACTIVE', `failover requested by ${request.requestedBy} refused: the Secondary already owns the lock; starting it again could not help`, facts);
  }
  const maintenance = input.maintenance ? ['maintenance mode is on: a requested failover still goes through the gate'] : [];
  return failover(input, settings, 'REQUESTED', [`failover requested by ${request.requestedBy}: ${request.reason}`, ...maintenance, ...facts], request);
}

/**
 * The fast path (a crashed service on a live host): no wait for the database heartbeat to pass
 * the takeover delay. Safe because the rule against failing over a fresh Primary (DESIGN.md,
 * safety rules) protects a Primary that works, and a heartbeat that is fresh only because the
 * service stopped moments ago belongs to none: a live agent confirms the service stopped
 * (stoppedOnItsOwn, so not fenced and not a stop a person ordered), which is also why the gate's
 * PRIMARY_NOT_CONFIRMED_STOPPED does not apply; the lock is still the Primary's (a released or
 * foreign lock was answered above); and the runbook's fence stops and disables the service again
 * before the Secondary starts, so a service that comes back meanwhile is stopped first. Without
 * that confirmation (a guard: the caller already asked stoppedOnItsOwn) the takeover delay applies.
 */
function failoverConfirmedStopped(input: FailoverDecisionInput, settings: FailoverPolicySettings, evidence: string[]): FailoverDecision {
  if (!primaryConfirmedStopped(input.heartbeat.agents?.primary)) return failoverOnceOlder(input, settings, 'RESTARTS_EXHAUSTED', evidence);
  return failover(input, settings, 'RESTARTS_EXHAUSTED', [
    "the Primary's live agent confirms the service stopped: the failover need not wait for the database heartbeat to pass the takeover delay",
    ...evidence,
  ]);
}

/** The invariant behind every other automatic failover: the Primary's heartbeat is known to be older than the takeover delay. */
function failoverOnceOlder(input: FailoverDecisionInput, settings: FailoverPolicySettings, reason: FailoverReason, evidence: string[]): FailoverDecision {
  const threshold = input.pair.policy.staleThresholdSeconds;
  const age = primaryHeartbeatAgeSeconds(input.heartbeat, input.now);
  if (age === undefined || age <= threshold) {
    const ageText = age === undefined ? 'of unknown age' : `${formatSeconds(age)} old`;
    return alert('WAITING_FOR_TAKEOVER_DELAY', `no failover yet: the Primary's heartbeat is ${ageText}, not older than the takeover delay of ${formatSeconds(threshold)}`, evidence);
  }
  return failover(input, settings, reason, evidence);
}

function failover(input: FailoverDecisionInput, settings: FailoverPolicySettings, reason: FailoverReason, evidence: string[], request?: FailoverRequest): FailoverDecision {
  const gate = approvalGate({
    pair: input.pair,
    heartbeat: input.heartbeat,
    ...(input.backup ? { backup: input.backup } : {}),
    ...(input.previousFailover ? { previousFailover: input.previousFailover } : {}),
    coolDownSeconds: settings.coolDownSeconds,
    requested: request !== undefined,
    now: input.now,
  });
  const gateLines = gate.required ? gate.reasons.map((r) => `approval needed (${r.code}): ${r.detail}`) : ['no approval needed: the failover may run on its own'];
  return {
    action: 'failover',
    reason,
    trigger: request ? 'requested' : 'automatic',
    ...(request ? { requestedBy: request.requestedBy } : {}),
    startsAutomatically: !gate.required,
    gate,
    evidence: [...evidence, ...gateLines],
  };
}

function alreadyFailedOver(pair: PairDefinition, primary: AgentAssessment | undefined, fence: FenceRecord | undefined): string | undefined {
  if (primary?.fenced) return `the Primary's agent reports it is fenced (epoch ${primary.epochSeen}): a failover already happened`;
  if (fence && sameHost(fence.activeHost, pair.secondary.hostName)) {
    return `the fence record names the Secondary (${fence.activeHost}) active at epoch ${fence.epoch}: a failover already happened`;
  }
  return undefined;
}

function sharedUnreachable(evidence: string[]): FailoverDecision {
  return alert('SHARED_DATABASE_UNREACHABLE', 'the shared database is unreachable: that is database trouble, and a failover would point the Secondary at the same database', evidence);
}

function alert(reason: AlertReason, why: string, facts: readonly string[]): FailoverDecision {
  return { action: 'alert', reason, evidence: [why, ...facts] };
}

/**
 * After a failover the monitor watches the active side in the Primary's place (the assessment's
 * roles are swapped): the lines name that side and its host, never the configured Primary's,
 * whose host may be the one that is gone.
 */
function watchedSide(pair: PairDefinition, heartbeat: HeartbeatAssessment): { readonly label: string; readonly host: string } {
  return heartbeat.afterFailover ? { label: 'active side', host: heartbeat.afterFailover.activeHost } : { label: 'Primary', host: pair.primary.hostName };
}

function heartbeatLine({ pair, heartbeat, now }: FailoverDecisionInput): string {
  const age = primaryHeartbeatAgeSeconds(heartbeat, now);
  const ageText = age === undefined ? 'age unknown' : `${formatSeconds(age)} old`;
  const side = watchedSide(pair, heartbeat);
  const whose = heartbeat.afterFailover ? `${side.label} (${side.host})` : side.label;
  return `database heartbeat: ${heartbeat.state} since ${heartbeat.since}; ${whose} heartbeat ${ageText} (takeover delay ${formatSeconds(pair.policy.staleThresholdSeconds)})`;
}

function agentLine(pair: PairDefinition, heartbeat: HeartbeatAssessment, a: AgentAssessment | undefined): string {
  const side = watchedSide(pair, heartbeat);
  const who = `${side.label === 'Primary' ? 'Primary' : 'Active side\'s'} agent (${a?.host ?? side.host})`;
  if (a === undefined) return `${who}: never heard from`;
  const life = a.alive ? 'alive' : `silent for ${formatSeconds(a.silentForSeconds)}`;
  const stop = a.serviceState === 'stopped' ? (a.stopOrdered ? ' (stop ordered)' : ' (stopped on its own)') : '';
  return `${who}: ${life}, adTempus service ${a.serviceState}${stop}${a.fenced ? ', fenced' : ''}`;
}
